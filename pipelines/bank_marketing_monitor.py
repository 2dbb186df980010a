"""Bank marketing drift: a batch against the production version's reference profile."""

from zenml import pipeline

from model_factory.bank.monitor import MODEL_NAME, BankMonitorConfig
from model_factory.bank.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.integrations.zenml_drift import PROFILE_ARTIFACT, monitored_version
from model_factory.integrations.zenml_lookup import version_artifact
from steps import monitoring as s


@pipeline(enable_cache=False, on_failure=failure_hook)
def bank_monitor(config: BankMonitorConfig) -> None:
    """The production version is chosen when the run is submitted; its profile and classifier
    show as the run's inputs. No `model:` here: a monitor run must not create a version."""
    version = monitored_version(MODEL_NAME)
    batch = s.load_bank_batch(config)
    drift_report, _ = s.check_bank(
        batch,
        version_artifact(version, PROFILE_ARTIFACT),
        version_artifact(version, USE_CASE.model_artifact),
        config,
        version.name,
    )
    s.record_drift(drift_report, str(version.id))


MONITOR = bank_monitor
METRICS_STEP = "record_drift"
REPORT_STEP = "check_bank"
