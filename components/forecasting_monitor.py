"""Store sales continuous training on Kubeflow: check a batch of actual sales against the
production reference (profile, forecaster, version name) and, only on drift, run
`components.forecasting_training.training_pipeline` itself on the sales plus the batch
(components/monitoring.py)."""

from kfp.dsl.base_component import BaseComponent

from components import monitoring
from components.forecasting_training import training_pipeline
from components.inputs import REGISTRATION, Inputs
from model_factory.continuous import ForecastMonitorAndRetrain
from model_factory.use_cases import FORECASTING

# Not inputs: as for forecast training, `retraining.promote` is ZenML's, and the nested
# training's ParallelFor bound and where it registers are compiled in.
INPUTS = Inputs(
    ForecastMonitorAndRetrain,
    frozenset({"retraining_promote"}),
    compile_time=frozenset({"retraining_kubeflow_parallelism"})
    | {f"retraining_{key}" for key in REGISTRATION},
)
resolve_config = INPUTS.resolver(constants={"retraining_kubeflow_parallelism"})


def monitor_pipeline(
    kubeflow_parallelism: int, compiled: ForecastMonitorAndRetrain | None = None
) -> BaseComponent:
    """The pipeline; the nested training runs at most `kubeflow_parallelism` group tasks at
    once (a compile-time constant, from forecasting_training.yaml's `kubeflow.parallelism`), and
    registers its model when that file names a ZenML server (`kubeflow.zenml_url`)."""
    training = training_pipeline(
        kubeflow_parallelism, compiled.retraining if compiled else None, nested=True
    )
    return monitoring.monitor_pipeline(
        INPUTS,
        resolve_config,
        FORECASTING.model_name,
        training,
        {"retraining_kubeflow_parallelism": kubeflow_parallelism},
        name="forecasting-monitor",
        description="Store sales: drift of actual sales against the production reference; on "
        "drift, the training pipeline on the sales plus the batch.",
    )
