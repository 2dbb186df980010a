"""Stages on ZenML's Model Control Plane: holders, promotion, rollback and recorded decisions.

A version holds at most one stage. `set_stage(stage, force=True)` makes ZenML archive the
previous holder of that stage; a new production holder also empties staging, which
`_set_stage` enforces for rollbacks too (a promotion to production moves the staging holder
itself). Every move happens under the model's `stage_lock` after checking that the holders
are still the ones the decision was made against (see `promote`).

Every decision is stored on its candidate under the metadata key `decisions`, a mapping from
timestamp to `DecisionRecord`. ZenML merges dict-valued metadata logged at different times, so
each decision is appended by a single write (no read-modify-write race, and no single value
growing towards ZenML's 64 KiB metadata limit); `decisions(version)` returns them in order.
"""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from zenml import log_metadata
from zenml.client import Client
from zenml.enums import ExecutionStatus, ModelStages
from zenml.exceptions import EntityExistsError
from zenml.models import ModelResponse, ModelVersionResponse
from zenml.utils.pagination_utils import depaginate, depaginate_stream

from model_factory import use_cases
from model_factory.errors import InputError
from model_factory.fair_comparison import (
    NotComparable,
    comparison_mode,
    incumbent_metrics,
)
from model_factory.history import VersionRecord, events
from model_factory.integrations.zenml_alerts import notify_decision
from model_factory.integrations.zenml_lookup import find_model, stage_version, tag_names
from model_factory.integrations.zenml_runs import fail_orphaned_runs
from model_factory.paths import config_dir
from model_factory.promotion import (
    POLICY_FILE,
    Decision,
    DecisionRecord,
    PromotionPolicy,
    Stage,
    decide,
    metric_value,
    now,
    policy_for,
)

DECISIONS = "decisions"
CONTRACT = "contract"  # what a version was trained to answer (see `_same_contract`)
LOCK_PREFIX = "model-factory-stage-lock-"
# A stage move under the lock takes well under a second; a tag this old was left by a killed move.
LOCK_LEASE_SECONDS = 60


def get_model(name: str) -> ModelResponse:
    """The model with exactly this name; unknown is bad input."""
    fail_orphaned_runs()  # so versions of killed runs show as failed from here on
    found = find_model(name)
    if found is None:
        raise InputError(f"unknown model {name!r} (see `model-factory models`)")
    return found


def model_names() -> list[str]:
    return sorted(m.name for m in depaginate(Client().list_models))


def versions(model: ModelResponse) -> list[ModelVersionResponse]:
    """Every version but failed ones, oldest first, with their metadata."""
    every = depaginate(Client().list_model_versions, model=model.id, sort_by="number", hydrate=True)
    return [version for version in every if not failed(version)]


def failed(version: ModelVersionResponse) -> bool:
    """Whether the run that made this version failed, or was killed (`fail_orphaned_runs`).

    ZenML registers a training run's version when the run (or its model step) starts, so a
    run that fails later leaves a version without its metrics, artifacts or decision. The mark
    is the run's status; a version without recorded metrics that no unfinished run is still
    making counts as failed too (a kill can land before ZenML links the version to its run).
    Listings, history and promotion skip failed versions.
    """
    client = Client()
    linked = client.list_pipeline_runs(linked_to_model_version_id=version.id, size=100).items
    if any(run.status == ExecutionStatus.FAILED for run in linked):
        return True
    return "metrics" not in version.run_metadata and all(r.status.is_finished for r in linked)


def get_version(model: ModelResponse, name_or_number: str) -> ModelVersionResponse:
    """A version by name, or by number when no version has that name."""
    client = Client()
    for key in (name_or_number, int(name_or_number) if name_or_number.isdigit() else None):
        if key is None or str(key) in ModelStages.values():
            continue
        try:
            found = client.get_model_version(model.id, key)
        except KeyError:
            continue
        if failed(found):
            raise InputError(f"{model.name} version {found.name} was registered by a failed run")
        return found
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

    The decision is a compare-and-set: it is made against the holders seen first (the
    comparison may rescore or refit, so it runs unlocked), then committed under the model's
    stage lock only if both holders are still those; otherwise it is made again against the
    new ones. Concurrent promotions therefore end as they would in some sequential order.
    """
    model = get_model(model_name)
    while True:
        seen = _holders(model)
        candidate, decision, incumbent, mode = _judge(model, stage, policy, version, seen)
        with stage_lock(model):
            if _ids(_holders(model)) != _ids(seen):
                continue  # another move came first: judge again against its result
            archived = _set_stage(model, candidate, stage) if decision.outcome == "promoted" else []
        return _record(
            model, candidate, "promote", stage, policy, decision, incumbent, mode, archived
        )


def offer_for_staging(model_name: str, use_case: str, version: str, enabled: bool) -> dict:
    """The last act of every training run, ZenML's or Kubeflow's: tag the model with the use
    case that trained it (later commands find its rescorer and default policy by the tag), then
    put `version` through the staging gate unless promotion is off. Returns the decision."""
    owner = use_cases.by_name(use_case)
    Client().update_model(model_name, add_tags=[use_cases.tag(owner)])
    if not enabled:
        return {"decision": "skipped", "reason": "promotion is off in the run config"}
    policy = policy_for(model_name, config_dir() / POLICY_FILE, fallback=owner.model_name)
    return promote(model_name, "staging", policy, version=version).model_dump(mode="json")


def _judge(
    model: ModelResponse,
    stage: Stage,
    policy: PromotionPolicy,
    version: str | None,
    holders: dict[str, ModelVersionResponse | None],
) -> tuple[ModelVersionResponse, Decision, ModelVersionResponse | None, str | None]:
    """The candidate, the decision, the incumbent and the comparison mode, given the holders."""
    staging, production = holders["staging"], holders["production"]
    candidate = _candidate(model, stage, version, staging)
    if candidate.stage == stage:
        no_op = Decision(outcome="no-op", reason=f"version {candidate.name} holds {stage} already")
        return candidate, no_op, None, None
    if candidate.stage == "production":
        raise InputError(f"{model.name} version {candidate.name} holds production already")
    incumbent = production if stage == "production" else staging or production
    who = f"{model.name} version {candidate.name}"
    metrics = candidate.run_metadata.get("metrics") or {}
    score = metric_value(metrics, policy.metric, who)
    baselines = {name: metric_value(metrics, name, who) for name in policy.must_beat}
    if incumbent is None:
        return candidate, decide(score, None, policy, baselines), None, None
    _same_contract(model.name, f"version {candidate.name}", candidate.run_metadata, incumbent)
    mode = comparison_mode(candidate.run_metadata, incumbent.run_metadata)
    try:
        theirs = incumbent_metrics(
            model.name, mode, ZenmlVersion(candidate), ZenmlVersion(incumbent), tag_names(model)
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
    return candidate, decision, incumbent, mode


def require_contract(model_name: str, contract: str) -> None:
    """Before training: refuse a run whose data contract differs from a stage holder's, which
    its version could never be ranked against (nothing is registered)."""
    model = find_model(model_name)  # the run that follows marks orphaned runs: no sweep here
    if model is None:
        return  # a new model: nothing to be ranked against
    for holder_version in _holders(model).values():
        if holder_version is not None:
            _same_contract(model_name, "this run", {CONTRACT: contract}, holder_version)


def _same_contract(
    model_name: str, who: str, metadata: dict, incumbent: ModelVersionResponse
) -> None:
    """Two versions trained on different columns or targets answer different questions: the
    gate refuses to rank them (versions recorded before contracts existed are not checked)."""
    ours, theirs = metadata.get(CONTRACT), incumbent.run_metadata.get(CONTRACT)
    if ours and theirs and ours != theirs:
        raise InputError(
            f"{model_name}: {who} has another data contract than version {incumbent.name} "
            f"(features, target or positive label differ: {ours} vs {theirs}); register it "
            "under a model name of its own (`model: {name: ...}` in its run config)"
        )


def rollback(model_name: str, policy: PromotionPolicy) -> DecisionRecord:
    """Give production back to the version that held it before the current holder.

    The predecessor is the incumbent of the current holder's last move into production, so a
    second rollback undoes the first. Scores are the recorded ones: no comparison is made.
    """
    model = get_model(model_name)
    with stage_lock(model):  # nothing slow to judge: read and move under the lock
        current = holder(model, "production")
        if current is None:
            raise InputError(f"{model.name}: no version holds production")
        moves = [
            d
            for d in decisions(current)
            if d["stage"] == "production" and d["decision"] == "promoted"
        ]
        if not moves or moves[-1]["incumbent_version"] is None:
            raise InputError(
                f"{model.name}: version {current.name} has no previous production version"
            )
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
    """One row per version (of one model or all): stage, metrics, created, last decision. A use
    case's own model before its first training has none (an unknown name is bad input)."""
    if model_name in use_cases.model_names() and find_model(model_name) is None:
        return []
    models = [get_model(model_name)] if model_name else [get_model(n) for n in model_names()]
    rows = []
    for model in models:
        for version in versions(model):
            history = decisions(version)
            rows.append(
                {
                    "model": model.name,
                    "version": version.name,
                    "number": version.number,
                    "stage": str(version.stage) if version.stage else None,
                    "created": version.created.isoformat(timespec="seconds"),
                    "metrics": version.run_metadata.get("metrics") or {},
                    "last_decision": history[-1] if history else None,
                }
            )
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
    """The newest version not made by a failed run."""
    newest_first = depaginate_stream(
        Client().list_model_versions, model=model.id, sort_by="desc:number", hydrate=True
    )
    return next((version for version in newest_first if not failed(version)), None)


def _holders(model: ModelResponse) -> dict[str, ModelVersionResponse | None]:
    return {stage: holder(model, stage) for stage in ("staging", "production")}


def _ids(holders: dict[str, ModelVersionResponse | None]) -> dict[str, UUID | None]:
    return {stage: version.id if version else None for stage, version in holders.items()}


@contextmanager
def stage_lock(model: ModelResponse) -> Iterator[None]:
    """Hold the model's stage lock: a ZenML tag named after the model, which exists while held.

    Creating a tag is atomic in the store itself (a unique name, checked by the database), so
    the lock holds across processes and machines sharing one ZenML server, not just one host.
    A holder killed mid-move leaves its tag behind: a waiter that has seen the same tag for
    `LOCK_LEASE_SECONDS` (its own clock, so no clock skew between hosts) deletes it by id.
    """
    client = Client()
    name = f"{LOCK_PREFIX}{model.id}"
    seen, since = None, time.monotonic()
    while True:
        try:
            lock = client.create_tag(name=name)
            break
        except EntityExistsError:
            pass
        # A list, not `get_tag`: that counts then fetches, and raises IndexError when the
        # holder releases the lock in between.
        found = client.list_tags(name=name, size=1, hydrate=False).items
        if not found:
            continue  # released meanwhile
        held = found[0]
        if held.id != seen:
            seen, since = held.id, time.monotonic()
        elif time.monotonic() - since > LOCK_LEASE_SECONDS:
            with suppress(KeyError):
                client.delete_tag(held.id)
            continue
        time.sleep(random.uniform(0.02, 0.1))
    try:
        yield
    finally:
        with suppress(KeyError):  # taken over after a lease ran out: nothing to release
            client.delete_tag(lock.id)


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
