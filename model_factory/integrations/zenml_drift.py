"""The Model Control Plane side of drift: which version a batch is checked against, its
reference profile, and what a monitor run records on it."""

from zenml import log_metadata
from zenml.models import ModelVersionResponse

from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import DriftReport
from model_factory.errors import InputError
from model_factory.integrations.zenml_lookup import require_stage_version, version_artifact
from model_factory.integrations.zenml_runs import use_project_sources

PROFILE_ARTIFACT = "reference_profile"
DRIFT_KEY = "drift_checks"


def monitored_version(model_name: str) -> ModelVersionResponse:
    """The production version (the one place monitors choose it); none is bad input."""
    version = require_stage_version(model_name, "production")
    if version.get_artifact(PROFILE_ARTIFACT) is None:
        raise InputError(
            f"{model_name} version {version.name} has no {PROFILE_ARTIFACT} "
            "(trained before drift monitoring existed: retrain and promote)"
        )
    return version


def reference_profile(version: ModelVersionResponse) -> ReferenceProfile:
    use_project_sources()
    return version_artifact(version, PROFILE_ARTIFACT).load()


def record(report: DriftReport, model_version_id: str) -> None:
    """Append the run's summary to the version's `drift_checks` (keyed by time, one write)."""
    log_metadata(
        metadata={DRIFT_KEY: {report.created: report.summary()}},
        model_version_id=model_version_id,
    )
