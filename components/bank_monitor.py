"""Bank marketing continuous training on Kubeflow: check a batch against the production
reference (profile, classifier, version name) and, only on drift, run
`components.bank_training.bank_training` itself on the reference data plus the batch
(components/monitoring.py), which registers its model as a training run does when configured."""

from kfp.dsl.base_component import BaseComponent

from components import monitoring
from components.bank_training import training_pipeline
from components.inputs import REGISTRATION, Inputs
from model_factory.continuous import BankMonitorAndRetrain
from model_factory.use_cases import BANK

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
    return monitoring.monitor_pipeline(
        INPUTS,
        resolve_config,
        BANK.model_name,
        training_pipeline(compiled.retraining, nested=True),
        name="bank-monitor",
        description="Bank marketing: drift of a batch against the production reference; on drift, "
        "the training pipeline on the reference data plus the batch.",
    )
