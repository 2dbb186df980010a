"""Taxi drift: a run date's labelled rides against the production detector's reference."""

from zenml import pipeline

from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.integrations.zenml_drift import PROFILE_ARTIFACT, monitored_version
from model_factory.integrations.zenml_lookup import version_artifact
from model_factory.taxi.monitor import MODEL_NAME, TaxiMonitorConfig
from steps import monitoring as s


@pipeline(enable_cache=False, on_failure=failure_hook)
def taxi_monitor(config: TaxiMonitorConfig) -> None:
    """The production version is chosen when the run is submitted (no `model:`: a monitor run
    must not create a version); its profile shows as the run's input."""
    version = monitored_version(MODEL_NAME)
    batch = s.load_taxi_batch(config)
    drift_report, _ = s.check_taxi(
        batch, version_artifact(version, PROFILE_ARTIFACT), config, version.name
    )
    s.record_drift(drift_report, str(version.id))


MONITOR = taxi_monitor
METRICS_STEP = "record_drift"
REPORT_STEP = "check_taxi"
