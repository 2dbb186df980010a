"""Store forecasting drift: a batch of actual sales against the production version."""

from zenml import pipeline

from model_factory.forecasting.monitor import MODEL_NAME, ForecastMonitorConfig
from model_factory.forecasting.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.integrations.zenml_drift import PROFILE_ARTIFACT, monitored_version
from model_factory.integrations.zenml_lookup import version_artifact
from steps import monitoring as s


@pipeline(enable_cache=False, on_failure=failure_hook)
def store_forecasting_monitor(config: ForecastMonitorConfig) -> None:
    """The production version is chosen when the run is submitted (no `model:`: a monitor run
    must not create a version); its profile and forecaster show as the run's inputs."""
    version = monitored_version(MODEL_NAME)
    batch = s.load_forecast_batch(config)
    drift_report, _ = s.check_forecasts(
        batch,
        version_artifact(version, PROFILE_ARTIFACT),
        version_artifact(version, USE_CASE.model_artifact),
        config,
        version.name,
    )
    s.record_drift(drift_report, str(version.id))


MONITOR = store_forecasting_monitor
METRICS_STEP = "record_drift"
REPORT_STEP = "check_forecasts"
