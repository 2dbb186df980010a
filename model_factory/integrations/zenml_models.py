"""The Model Control Plane side of training: what each model version records."""

from typing import Any

from pydantic import BaseModel
from zenml import get_step_context, log_metadata

from model_factory.provenance import git_commit


def record_training(
    metrics: dict[str, float], config: BaseModel, data_fingerprint: str, **extra: Any
) -> str:
    """Attach metrics, config, data fingerprint and commit to this run's model version.

    Call from inside a step of a pipeline that has a `model`; returns the version name.
    """
    log_metadata(
        metadata={
            "metrics": metrics,
            "config": config.model_dump(mode="json"),
            "data_fingerprint": data_fingerprint,
            "git_commit": git_commit(),
            **extra,
        },
        infer_model=True,
    )
    return str(get_step_context().model.version)
