"""Store sales continuous training on Kubeflow: check a batch of actual sales against the
production reference (profile, forecaster, version name) and, only on drift, run
`components.forecasting_training.training_pipeline` itself on the sales plus the batch
(components/monitoring.py)."""

from kfp.dsl.base_component import BaseComponent

from components.forecasting_training import training_pipeline
from components.inputs import REGISTRATION, Inputs
from components.monitoring import check_then_retrain
from components.platform import alert_on_failure
from model_factory.continuous import ForecastMonitorAndRetrain
from model_factory.forecasting.monitor import MODEL_NAME

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
    # Nested: this pipeline alerts its failures.
    training = training_pipeline(
        kubeflow_parallelism, compiled.retraining if compiled else None, nested=True
    )

    @INPUTS.pipeline(
        name="forecasting-monitor",
        description="Store sales: drift of actual sales against the production reference; on "
        "drift, the training pipeline on the sales plus the batch.",
    )
    @alert_on_failure(MODEL_NAME)
    def forecasting_monitor(inputs: dict) -> None:
        """Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml, `monitor_*` from
        forecasting_monitor.yaml and `retraining_*` from forecasting_training.yaml, flattened,
        except `kubeflow.parallelism` (compiled in)."""
        config = (
            resolve_config(**inputs, retraining_kubeflow_parallelism=kubeflow_parallelism)
            .set_display_name("Check the run config")
            .output
        )
        check_then_retrain(MODEL_NAME, config, inputs, training)

    return forecasting_monitor
