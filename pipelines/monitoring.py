"""What every monitor pipeline runs: a batch against the production version's reference.

The production version is chosen when the run is submitted, and its profile and model show as
the run's inputs. A monitor pipeline has no `model:` setting: a monitor run must not create a
version.
"""

from model_factory.integrations.zenml_drift import PROFILE_ARTIFACT, monitored_version
from model_factory.integrations.zenml_lookup import version_artifact
from model_factory.use_case import UseCase
from steps import monitoring as s

METRICS_STEP = "record_drift"
REPORT_STEP = "check"


def watch(use_case: UseCase, config) -> None:
    """The steps, called inside a use case's `@pipeline` function (`config` is its monitor
    config)."""
    version = monitored_version(use_case.model_name)
    drift_report, _ = s.check(
        s.load_batch(config),
        version_artifact(version, PROFILE_ARTIFACT),
        version_artifact(version, use_case.model_artifact),
        config,
        version.name,
    )
    s.record_drift(drift_report, str(version.id))
