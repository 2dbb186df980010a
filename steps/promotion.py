"""The last step of every training pipeline: offer the new version for staging."""

from typing import Annotated

from zenml import step

from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from model_factory.promotion import POLICY_FILE, policy_for


@step
def promote(metrics: dict, model: str, enabled: bool) -> Annotated[dict, "promotion"]:
    """Promote this run's version of `model` to staging if it wins; a rejection is a result.

    `metrics` is the run's metrics output: it names the version (`model_version`) and orders
    this step after the one that records the version's metadata.
    """
    if not enabled:
        return {"decision": "skipped", "reason": "promotion is off in the run config"}
    policy = policy_for(model, config_dir() / POLICY_FILE)
    record = zenml_stages.promote(model, "staging", policy, version=metrics["model_version"])
    return record.model_dump(mode="json")
