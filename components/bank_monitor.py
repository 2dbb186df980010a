"""Bank marketing continuous training on Kubeflow: check a batch against the production
reference (profile, classifier, version name) and, only on drift, run
`components.bank_training.bank_training` itself on the reference data plus the batch
(components/monitoring.py), which registers its model as a training run does when configured."""

from kfp.dsl.base_component import BaseComponent

from components.bank_training import training_pipeline
from components.inputs import REGISTRATION, Inputs
from components.monitoring import check_then_retrain
from components.platform import alert_on_failure
from model_factory.bank.monitor import MODEL_NAME
from model_factory.continuous import BankMonitorAndRetrain

# Not inputs: as for bank training, `retraining.promote` is ZenML's and where the nested
# retraining registers is compiled in.
INPUTS = Inputs(
    BankMonitorAndRetrain,
    frozenset({"retraining_promote"}),
    compile_time=frozenset(f"retraining_{key}" for key in REGISTRATION),
)
resolve_config = INPUTS.resolver()


def monitor_pipeline(compiled: BankMonitorAndRetrain) -> BaseComponent:
    """The pipeline; its nested retraining registers the new model with ZenML when the training
    run config names a server (`kubeflow.zenml_url`, fixed when compiling)."""
    # Built outside (KFP nests no definitions); this pipeline alerts its failures.
    training = training_pipeline(compiled.retraining, nested=True)

    @INPUTS.pipeline(
        name="bank-monitor",
        description="Bank marketing: drift of a batch against the production reference; on drift, "
        "the training pipeline on the reference data plus the batch.",
    )
    @alert_on_failure(MODEL_NAME)
    def bank_monitor(inputs: dict) -> None:
        """Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml, `monitor_*` from
        bank_monitor.yaml and `retraining_*` from bank_training.yaml, flattened."""
        config = resolve_config(**inputs).set_display_name("Check the run config").output
        check_then_retrain(MODEL_NAME, config, inputs, training)

    return bank_monitor
