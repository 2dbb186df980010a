"""The last step of every training pipeline: offer the new version for staging."""

from typing import Annotated

from zenml import get_step_context, step

from model_factory.integrations import zenml_stages


@step
def promote(
    metrics: dict, use_case: str, enabled: bool, model: str | None = None
) -> Annotated[dict, "promotion"]:
    """Promote this run's version to staging if it wins; a rejection is a result.

    The model is the run's own (a run config's `model: {name: ...}` included), or `model` in a
    pipeline whose model belongs to one step only (taxi); the gate is
    `zenml_stages.offer_for_staging`, which the Kubeflow pipelines' registration uses too.
    `metrics` is the run's metrics output: it names the version (`model_version`) and orders
    this step after the one that records the version's metadata.
    """
    model = model or get_step_context().model.name
    return zenml_stages.offer_for_staging(model, use_case, metrics["model_version"], enabled)
