"""Promotion policy: when a candidate model version may replace the holder of a stage.

One rule for every use case: the candidate must pass an absolute floor, beat each
configured baseline metric of its own run, and beat the incumbent by more than a margin
(absolute, in metric units, direction-aware). With no incumbent, the floor and the baselines
decide alone. Policies live in `zenml_config/promotion.yaml`, one section per model name; that
file is not a ZenML run config, so the CLI and the pipelines' promote step read it alike.
"""

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, TypeAdapter, ValidationError

from model_factory.alerts import refuse_in_config
from model_factory.config import StrictModel, describe, read_yaml
from model_factory.errors import InputError

POLICY_FILE = "promotion.yaml"
Stage = Literal["staging", "production"]
Outcome = Literal["promoted", "rejected", "no-op"]
# Differences smaller than this are float noise (0.300 - 0.298 > 0.002 in binary), not a lead.
TOLERANCE = 1e-9


class PromotionPolicy(StrictModel):
    """How one model's versions are compared."""

    metric: str = Field(description="metric in the version's recorded `metrics`")
    direction: Literal["maximize", "minimize"]
    margin: float = Field(ge=0, description="absolute lead over the incumbent, in metric units")
    floor: float = Field(description="worst acceptable value (a ceiling when minimizing)")
    must_beat: list[str] = Field(
        default_factory=list,
        description="metrics of the candidate's own run (baselines) its metric must beat",
    )

    def better(self, a: float, b: float) -> float:
        """How much better `a` is than `b` (negative when worse)."""
        return a - b if self.direction == "maximize" else b - a


class Decision(StrictModel):
    """The outcome of comparing a candidate, with the numbers that decided it."""

    outcome: Outcome
    reason: str
    candidate_score: float | None = None
    incumbent_score: float | None = None


class DecisionRecord(StrictModel):
    """What is stored on the candidate version for every promote, no-op and rollback."""

    timestamp: str
    action: Literal["promote", "rollback"]
    stage: Stage
    decision: Outcome
    model: str
    metric: str
    direction: Literal["maximize", "minimize"]
    margin: float
    floor: float
    comparison: Literal["reuse", "rescore", "refit"] | None
    candidate_version: str
    candidate_score: float | None
    incumbent_version: str | None
    incumbent_score: float | None
    archived: list[str] = Field(default_factory=list, description="versions this change archived")
    reason: str


def now() -> str:
    """A sortable UTC timestamp for decision records."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def load_policies(path: str | Path) -> dict[str, PromotionPolicy]:
    """Every model's policy from a `promotion.yaml`, validated in full (one-line errors)."""
    raw = read_yaml(path, "promotion policy file") or {}
    refuse_in_config(raw, str(path))
    try:
        return TypeAdapter(dict[str, PromotionPolicy]).validate_python(raw)
    except ValidationError as exc:
        raise InputError(describe(exc, str(path))) from exc


def policy_for(model: str, path: str | Path, fallback: str | None = None) -> PromotionPolicy:
    """`model`'s policy; a model without one (named in a run config) takes `fallback`'s, the
    policy of the use case that trained it."""
    policies = load_policies(path)
    for name in (model, fallback):
        if name in policies:
            return policies[name]
    raise InputError(f"{path}: no promotion policy for model {model!r}")


def metric_value(metrics: Mapping, name: str, whose: str) -> float:
    """A recorded metric as a finite float; missing or non-numeric is bad input."""
    value = metrics.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{whose} has no finite metric {name!r} (recorded: {value!r})")
    return float(value)


def decide(
    candidate_score: float,
    incumbent_score: float | None,
    policy: PromotionPolicy,
    baselines: Mapping[str, float] | None = None,
) -> Decision:
    """Apply the floor, the baselines (`policy.must_beat`, by name) and the margin, in order."""
    baselines = baselines or {}
    name = policy.metric
    scores = {"candidate_score": candidate_score, "incumbent_score": incumbent_score}
    if policy.better(candidate_score, policy.floor) < -TOLERANCE:
        return _rejected(
            f"{name} {candidate_score:.4f} is worse than the floor {policy.floor:g}", **scores
        )
    for baseline in policy.must_beat:
        if policy.better(candidate_score, baselines[baseline]) <= TOLERANCE:
            return _rejected(
                f"{name} {candidate_score:.4f} does not beat {baseline} {baselines[baseline]:.4f}",
                **scores,
            )
    passed = f"{name} {candidate_score:.4f} passes the floor {policy.floor:g}" + "".join(
        f" and beats {b} {baselines[b]:.4f}" for b in policy.must_beat
    )
    if incumbent_score is None:
        return Decision(outcome="promoted", reason=f"no incumbent; {passed}", **scores)
    lead = policy.better(candidate_score, incumbent_score)
    versus = (
        f"{name} {candidate_score:.4f} vs incumbent {incumbent_score:.4f}: "
        f"lead {lead:+.4f} ({policy.direction})"
    )
    if lead - policy.margin > TOLERANCE:
        return Decision(outcome="promoted", reason=f"{versus} > margin {policy.margin:g}", **scores)
    return _rejected(f"{versus} is not more than the margin {policy.margin:g}", **scores)


def _rejected(reason: str, **scores: float | None) -> Decision:
    return Decision(outcome="rejected", reason=reason, **scores)
