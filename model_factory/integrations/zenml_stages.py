"""Stages on ZenML's Model Control Plane: holders, promotion, rollback and recorded decisions.

A version holds at most one stage. `set_stage(stage, force=True)` makes ZenML archive the
previous holder of that stage; a new production holder also empties staging (DESIGN §4), which
`_set_stage` enforces for rollbacks too (a promotion to production moves the staging holder
itself).

Every decision is stored on its candidate under the metadata key `decisions`, a mapping from
timestamp to `DecisionRecord`. ZenML merges dict-valued metadata logged at different times, so
each decision is appended by a single write (no read-modify-write race, and no single value
growing towards ZenML's 64 KiB metadata limit); `decisions(version)` returns them in order.
"""

from dataclasses import dataclass
from typing import Any

from zenml import log_metadata
from zenml.client import Client
from zenml.enums import ModelStages
from zenml.models import ModelResponse, ModelVersionResponse

from model_factory.errors import InputError
from model_factory.fair_comparison import (
    NotComparable,
    comparison_mode,
    incumbent_metrics,
)
from model_factory.history import VersionRecord, events
from model_factory.integrations.zenml_alerts import notify_decision
from model_factory.integrations.zenml_lookup import stage_version
from model_factory.promotion import (
    Decision,
    DecisionRecord,
    PromotionPolicy,
    Stage,
    decide,
    metric_value,
    now,
)

DECISIONS = "decisions"


def get_model(name: str) -> ModelResponse:
    """The model with exactly this name (ZenML's own lookup also matches ID prefixes)."""
    found = [m for m in Client().list_models(name=name, size=2) if m.name == name]
    if not found:
        raise InputError(f"unknown model {name!r} (see `model-factory models`)")
    return found[0]


def model_names() -> list[str]:
    return sorted(m.name for m in _all(Client().list_models))


def versions(model: ModelResponse) -> list[ModelVersionResponse]:
    """All versions, oldest first, with their metadata."""
    return _all(Client().list_model_versions, model=model.id, sort_by="number", hydrate=True)


def get_version(model: ModelResponse, name_or_number: str) -> ModelVersionResponse:
    """A version by name, or by number when no version has that name."""
    client = Client()
    for key in (name_or_number, int(name_or_number) if name_or_number.isdigit() else None):
        if key is None or str(key) in ModelStages.values():
            continue
        try:
            return client.get_model_version(model.id, key)
        except KeyError:
            pass
    raise InputError(f"{model.name} has no version {name_or_number!r}")


def holder(model: ModelResponse, stage: str) -> ModelVersionResponse | None:
    """The version in `stage`, or None (the one stage lookup: `zenml_lookup.stage_version`)."""
    return stage_version(model.name, stage)


def decisions(version: ModelVersionResponse) -> list[dict]:
    """The decisions recorded on a version, oldest first."""
    recorded = version.run_metadata.get(DECISIONS) or {}
    return sorted(recorded.values(), key=lambda record: record["timestamp"])


def promote(
    model_name: str, stage: Stage, policy: PromotionPolicy, version: str | None = None
) -> DecisionRecord:
    """Compare a candidate with the incumbent of `stage` and move it there if it wins.

    Candidate: `version`, else the latest version (staging) or the staging holder (production).
    Incumbent: the holder of `stage`; for staging, the production holder when staging is empty.
    Returns the recorded decision; rejection is a decision, bad input raises InputError.
    """
    model = get_model(model_name)
    staging = holder(model, "staging")
    candidate = _candidate(model, stage, version, staging)
    if candidate.stage == stage:
        no_op = Decision(outcome="no-op", reason=f"version {candidate.name} holds {stage} already")
        return _record(model, candidate, "promote", stage, policy, no_op)
    if candidate.stage == "production":
        raise InputError(f"{model.name} version {candidate.name} holds production already")
    production = holder(model, "production")
    incumbent = production if stage == "production" else staging or production
    who = f"{model.name} version {candidate.name}"
    metrics = candidate.run_metadata.get("metrics") or {}
    score = metric_value(metrics, policy.metric, who)
    baselines = {name: metric_value(metrics, name, who) for name in policy.must_beat}
    if incumbent is None:
        decision, mode = decide(score, None, policy, baselines), None
    else:
        mode = comparison_mode(candidate.run_metadata, incumbent.run_metadata)
        try:
            theirs = incumbent_metrics(
                model.name, mode, ZenmlVersion(candidate), ZenmlVersion(incumbent)
            )
        except NotComparable as exc:
            decision = Decision(
                outcome="rejected",
                reason=f"no fair comparison with version {incumbent.name}: {exc}",
                candidate_score=score,
            )
        else:
            whose = f"{model.name} version {incumbent.name} ({mode})"
            decision = decide(score, metric_value(theirs, policy.metric, whose), policy, baselines)
    archived = _set_stage(model, candidate, stage) if decision.outcome == "promoted" else []
    return _record(model, candidate, "promote", stage, policy, decision, incumbent, mode, archived)


def rollback(model_name: str, policy: PromotionPolicy) -> DecisionRecord:
    """Give production back to the version that held it before the current holder.

    The predecessor is the incumbent of the current holder's last move into production, so a
    second rollback undoes the first. Scores are the recorded ones: no comparison is made.
    """
    model = get_model(model_name)
    current = holder(model, "production")
    if current is None:
        raise InputError(f"{model.name}: no version holds production")
    moves = [
        d for d in decisions(current) if d["stage"] == "production" and d["decision"] == "promoted"
    ]
    if not moves or moves[-1]["incumbent_version"] is None:
        raise InputError(f"{model.name}: version {current.name} has no previous production version")
    previous = get_version(model, moves[-1]["incumbent_version"])
    archived = _set_stage(model, previous, "production")
    decision = Decision(
        outcome="promoted",
        reason=f"rollback: version {previous.name} held production before {current.name}",
        candidate_score=_recorded(previous, policy.metric),
        incumbent_score=_recorded(current, policy.metric),
    )
    return _record(
        model, previous, "rollback", "production", policy, decision, current, None, archived
    )


def catalog(model_name: str | None = None) -> list[dict[str, Any]]:
    """One row per version (of one model or all): stage, metrics, created, last decision."""
    models = [get_model(model_name)] if model_name else [get_model(n) for n in model_names()]
    rows = []
    for model in models:
        for version in versions(model):
            history = decisions(version)
            rows.append({
                "model": model.name,
                "version": version.name,
                "number": version.number,
                "stage": str(version.stage) if version.stage else None,
                "created": version.created.isoformat(timespec="seconds"),
                "metrics": version.run_metadata.get("metrics") or {},
                "last_decision": history[-1] if history else None,
            })  # fmt: skip
    return rows


def history(model_name: str, metric: str | None = None) -> list[dict]:
    """Every training run, monitor check and stage decision of a model, oldest first."""
    records = [
        VersionRecord(version.name, version.created, version.run_metadata)
        for version in versions(get_model(model_name))
    ]
    return events(records, metric)


def _recorded(version: ModelVersionResponse, metric: str) -> float | None:
    value = (version.run_metadata.get("metrics") or {}).get(metric)
    return float(value) if isinstance(value, int | float) else None


def _candidate(
    model: ModelResponse, stage: Stage, version: str | None, staging: ModelVersionResponse | None
) -> ModelVersionResponse:
    if version is not None:
        candidate = get_version(model, version)
    elif stage == "production":
        candidate = staging
    else:
        candidate = _latest(model)
    if candidate is None:
        source = "staging holder" if stage == "production" else "version"
        raise InputError(f"{model.name} has no {source} to promote to {stage}")
    if (
        stage == "production"
        and candidate.stage != "production"
        and (staging is None or candidate.id != staging.id)
    ):
        holds = f"staging holds version {staging.name}" if staging else "staging is empty"
        raise InputError(
            f"{model.name}: only the staging holder may go to production ({holds}); "
            f"promote version {candidate.name} to staging first"
        )
    return candidate


def _latest(model: ModelResponse) -> ModelVersionResponse | None:
    try:
        return Client().get_model_version(model.id, ModelStages.LATEST)
    except KeyError:
        return None


def _set_stage(model: ModelResponse, version: ModelVersionResponse, stage: Stage) -> list[str]:
    """Move `version` to `stage`; returns the versions archived on the way."""
    previous = holder(model, stage)
    version.set_stage(stage, force=True)  # ZenML archives the previous holder
    archived = [previous.name] if previous is not None and previous.id != version.id else []
    if stage == "production" and (staged := holder(model, "staging")) is not None:
        staged.set_stage(ModelStages.ARCHIVED, force=True)
        archived.append(staged.name)
    return archived


def _record(
    model: ModelResponse,
    candidate: ModelVersionResponse,
    action: str,
    stage: Stage,
    policy: PromotionPolicy,
    decision: Decision,
    incumbent: ModelVersionResponse | None = None,
    mode: str | None = None,
    archived: list[str] | None = None,
) -> DecisionRecord:
    """Store a decision on `candidate` (one metadata write) and return it."""
    entry = DecisionRecord(
        timestamp=now(),
        action=action,
        stage=stage,
        decision=decision.outcome,
        model=model.name,
        metric=policy.metric,
        direction=policy.direction,
        margin=policy.margin,
        floor=policy.floor,
        comparison=mode,
        candidate_version=candidate.name,
        candidate_score=decision.candidate_score,
        incumbent_version=incumbent.name if incumbent else None,
        incumbent_score=decision.incumbent_score,
        archived=archived or [],
        reason=decision.reason,
    )
    log_metadata(
        metadata={DECISIONS: {entry.timestamp: entry.model_dump(mode="json")}},
        model_version_id=candidate.id,
    )
    notify_decision(entry)  # every promote and rollback decision passes here, once
    return entry


@dataclass
class ZenmlVersion:
    """A ZenML model version as `fair_comparison.VersionView`."""

    version: ModelVersionResponse

    @property
    def name(self) -> str:
        return self.version.name

    @property
    def metadata(self) -> dict[str, Any]:
        return self.version.run_metadata

    def load(self, artifact: str) -> Any:
        found = self.version.get_artifact(artifact)
        if found is None:
            raise NotComparable(f"version {self.name} has no artifact {artifact!r}")
        return found.load()


def _all(list_method, **filters) -> list:
    """Every item of a paginated ZenML listing."""
    items, page = [], 1
    while True:
        result = list_method(page=page, size=100, **filters)
        items.extend(result.items)
        if page >= result.total_pages:
            return items
        page += 1
