"""The last step of every training pipeline: offer the new version for staging."""

from typing import Annotated

from zenml import get_step_context, step
from zenml.client import Client

from model_factory import use_cases
from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from model_factory.promotion import POLICY_FILE, policy_for


@step
def promote(
    metrics: dict, use_case: str, enabled: bool, model: str | None = None
) -> Annotated[dict, "promotion"]:
    """Promote this run's version to staging if it wins; a rejection is a result.

    The model is the run's own (a run config's `model: {name: ...}` included), or `model` in a
    pipeline whose model belongs to one step only (taxi). It is tagged with the use case that
    trained it so that later commands find its rescorer and default policy.
    `metrics` is the run's metrics output: it names the version (`model_version`) and orders
    this step after the one that records the version's metadata.
    """
    owner = use_cases.by_name(use_case)
    model = model or get_step_context().model.name
    Client().update_model(model, add_tags=[use_cases.tag(owner)])
    if not enabled:
        return {"decision": "skipped", "reason": "promotion is off in the run config"}
    policy = policy_for(model, config_dir() / POLICY_FILE, fallback=owner.model_name)
    record = zenml_stages.promote(model, "staging", policy, version=metrics["model_version"])
    return record.model_dump(mode="json")
