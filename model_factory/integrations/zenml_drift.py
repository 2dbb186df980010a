"""The Model Control Plane side of drift: which version a batch is checked against, its
reference profile, and what a monitor run records on it."""

from pathlib import Path

from zenml import log_metadata
from zenml.models import ModelVersionResponse

from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import DriftReport
from model_factory.errors import InputError
from model_factory.integrations.zenml_alerts import notify_drift
from model_factory.integrations.zenml_lookup import require_stage_version, version_artifact
from model_factory.integrations.zenml_runs import use_project_sources
from model_factory.use_case import UseCase

PROFILE_ARTIFACT = "reference_profile"
DRIFT_KEY = "drift_checks"


def monitored_version(model_name: str, stage: str = "production") -> ModelVersionResponse:
    """The version in `stage` (production: the one place monitors choose it), with the reference
    profile an exported reference holds; none is bad input."""
    version = require_stage_version(model_name, stage)
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
    """Append the run's summary to the version's `drift_checks` (keyed by time, one write), and
    alert a drift verdict (every monitor run, from the CLI or not, records here once)."""
    log_metadata(
        metadata={DRIFT_KEY: {report.created: report.summary()}},
        model_version_id=model_version_id,
    )
    notify_drift(report)


def export_reference(model_name: str, folder: Path) -> str:
    """Write the production version's profile, model, name and training config to `folder` in
    the format the Kubeflow monitor and scoring pipelines read (model_factory/continuous.py),
    replacing the folder in one step (a reader sees the previous export or this one); returns
    the version name."""
    from model_factory import outputs, use_cases
    from model_factory.continuous import VERSION_FILE, exported_model

    use_case = use_cases.by_model(model_name)
    exported_model(model_name)  # refuses a use case without one before any lookup
    version = monitored_version(model_name)
    outputs.write_folder(
        folder, lambda new: write_reference(use_case, version, new), marker=VERSION_FILE
    )
    return version.name


def write_reference(use_case: UseCase, version: ModelVersionResponse, folder: Path) -> None:
    """`version` (of `use_case`'s model or of a model named in its run config) in `folder`, as
    `export_reference` writes it: what a native Kubeflow scoring run reads either way."""
    from model_factory.continuous import save_reference
    from model_factory.use_case import resolve

    profile = reference_profile(version)  # sets the sources the model's materializer is under
    model = version_artifact(version, use_case.model_artifact).load()
    training = resolve(use_case.training_params).model_validate(version.run_metadata["config"])
    save_reference(folder, use_case.model_name, version.name, profile, model, training)


def record_retraining(model_name: str, version_name: str, reason: str) -> None:
    """Why `retrain-if-drifted` trained this version: the drift it found (`history` reads it)."""
    from model_factory.integrations import zenml_stages

    version = zenml_stages.get_version(zenml_stages.get_model(model_name), version_name)
    log_metadata(metadata={"retrained_because": reason}, model_version_id=version.id)
