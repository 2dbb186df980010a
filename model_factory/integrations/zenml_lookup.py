"""Read-only lookups in the Model Control Plane (promotion itself lives elsewhere)."""

from zenml.client import Client
from zenml.enums import ModelStages
from zenml.models import ArtifactVersionResponse, ModelResponse, ModelVersionResponse

from model_factory import use_cases
from model_factory.errors import InputError
from model_factory.use_case import UseCase


def tag_names(model: ModelResponse) -> list[str]:
    return [tag.name for tag in model.tags]


def find_model(name: str) -> ModelResponse | None:
    """The model with exactly this name, or None (ZenML's own lookup also matches ID prefixes)."""
    return next((m for m in Client().list_models(name=name, size=2) if m.name == name), None)


def use_case_of(model_name: str) -> UseCase:
    """The use case a registered model belongs to: by its name, else by its `use-case:` tag."""
    found = find_model(model_name)
    if found is None and model_name not in use_cases.model_names():
        raise InputError(f"unknown model {model_name!r} (see `model-factory models`)")
    return use_cases.by_model(model_name, tag_names(found) if found else ())


def stage_version(model_name: str, stage: str) -> ModelVersionResponse | None:
    """The version of `model_name` in `stage`, or None (no model or no holder).

    Lists by stage rather than `Client().get_model_version(name, stage)`: inside a pipeline
    body ZenML turns the latter into a lazy lookup that runs (and fails) only when a step
    starts, so the pipeline could not branch on the answer.
    """
    versions = Client().list_model_versions(
        model=model_name, stage=ModelStages(stage), size=1, hydrate=True
    )
    return versions.items[0] if versions.items else None


def require_stage_version(model_name: str, stage: str) -> ModelVersionResponse:
    """The version in `stage`; bad input with the way out when there is none."""
    version = stage_version(model_name, stage)
    if version is None:
        how = "--to staging" if stage == "staging" else "--to staging, then --to production"
        raise InputError(
            f"no version of {model_name} is in {stage}; train one and promote it: "
            f"model-factory promote {model_name} {how}"
        )
    return version


def version_artifact(version: ModelVersionResponse, name: str) -> ArtifactVersionResponse:
    """The artifact `name` linked to a model version; a clear error if the version lacks it."""
    artifact = version.get_artifact(name)
    if artifact is None:
        raise LookupError(
            f"model {version.model.name} version {version.name} has no artifact {name!r}"
        )
    return artifact
