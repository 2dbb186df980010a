"""Fair comparison: score the incumbent on the candidate's held-out rows, unseen by both models.

In order of cost:
- reuse: holdout and data fingerprint are identical (or both versions were scored on the same
  fixed evaluation set), so the incumbent's recorded metrics were computed on exactly the
  candidate's held-out rows;
- rescore: the incumbent's training data cannot contain any of those rows, so its fitted model is
  scored on them;
- refit: otherwise the incumbent's recorded config is refitted on the candidate's training rows
  and then scored on its held-out rows.

Every training run records, beside `metrics` and `config`, a `data_fingerprint` and a `holdout`
(`HashHoldout`, `TimeHoldout` or `FixedHoldout` as a dict). Re-scoring and refitting need a use
case's own code: the module its `UseCase.rescorer` names, exposing `RESCORER` (a `Rescorer`).

Wiring a use case: record `holdout=...` where it calls `record_training`, add
`model_factory/<use_case>/comparison.py` with `RESCORER`, and name it in the `UseCase`. Without a
rescorer, versions compare only by reuse; any other comparison stops with `MissingRescorer`
rather than compare unfairly. Each use case's module says which modes it supports and why.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field, TypeAdapter, ValidationError

from model_factory.config import StrictModel
from model_factory.errors import InputError

Mode = Literal["reuse", "rescore", "refit"]


class HashHoldout(StrictModel):
    """Rows whose keyed hash falls below `test_fraction` (`model_factory.splits.hash_split`)."""

    kind: Literal["hash"] = "hash"
    key_columns: list[str]
    salt: int
    test_fraction: float


class TimeHoldout(StrictModel):
    """Dates `test_start`..`test_end` held out; the model saw dates up to `train_end` only."""

    kind: Literal["time"] = "time"
    train_end: date
    test_start: date
    test_end: date


class FixedHoldout(StrictModel):
    """A separate evaluation set that no model trains on (e.g. seeded synthetic rides)."""

    kind: Literal["fixed"] = "fixed"
    fingerprint: str


Holdout = HashHoldout | TimeHoldout | FixedHoldout
_HOLDOUT = TypeAdapter(Annotated[Holdout, Field(discriminator="kind")])


class NotComparable(Exception):
    """The incumbent cannot be scored on the candidate's data (e.g. a column it needs is absent)."""


class MissingRescorer(RuntimeError):
    """A comparison needs a use case's re-score/refit code and none is registered."""


class VersionView(Protocol):
    """A registered model version as fair comparison sees it."""

    name: str
    metadata: Mapping[str, Any]

    def load(self, artifact: str) -> Any: ...


@dataclass(frozen=True)
class Rescorer:
    """A use case's artifacts (names on a model version) and how to score or refit its model.

    Both callables also get the candidate's `Holdout`, e.g. to refit up to its first date.
    """

    model_artifact: str
    holdout_artifact: str
    # (model, holdout rows, the model's recorded config, holdout) -> metrics
    score: Callable[[Any, Any, Mapping, Holdout], Mapping[str, float]]
    train_artifact: str | None = None
    # (recorded config, training rows, holdout) -> model; None: refitting is never fair here
    refit: Callable[[Mapping, Any, Holdout], Any] | None = None


def comparison_mode(candidate: Mapping, incumbent: Mapping) -> Mode:
    """How to score the incumbent fairly, from the two versions' recorded metadata."""
    ours, theirs = _holdout(candidate), _holdout(incumbent)
    if ours is None or theirs is None:
        return "refit"
    fingerprint = candidate.get("data_fingerprint")
    same_data = bool(fingerprint) and fingerprint == incumbent.get("data_fingerprint")
    if ours == theirs and (same_data or isinstance(ours, FixedHoldout)):
        return "reuse"  # the same rows (a fixed set does not depend on the training data)
    return "rescore" if _unseen(ours, theirs) else "refit"


def incumbent_metrics(
    model: str,
    mode: Mode,
    candidate: VersionView,
    incumbent: VersionView,
    tags: Iterable[str] = (),
) -> Mapping[str, float]:
    """The incumbent's metrics on the candidate's held-out rows, by `mode` (`tags`: the
    model's, which name its use case when the model is not a use case's own)."""
    if mode == "reuse":
        return incumbent.metadata.get("metrics", {})
    rescorer = _rescorer(model, mode, tags)
    config = incumbent.metadata.get("config")
    if not isinstance(config, Mapping):
        raise NotComparable(f"version {incumbent.name} has no recorded config")
    holdout = _holdout(candidate.metadata)
    if mode == "rescore":
        fitted = incumbent.load(rescorer.model_artifact)
    elif rescorer.refit is None or rescorer.train_artifact is None:
        raise NotComparable(f"{model} versions cannot be refitted for a comparison")
    else:
        fitted = rescorer.refit(config, candidate.load(rescorer.train_artifact), holdout)
    return rescorer.score(fitted, candidate.load(rescorer.holdout_artifact), config, holdout)


def _holdout(metadata: Mapping) -> Holdout | None:
    try:
        return _HOLDOUT.validate_python(metadata.get("holdout"))
    except ValidationError:
        return None


def _unseen(candidate: Holdout, incumbent: Holdout) -> bool:
    """True when no row held out by the candidate can be in the incumbent's training data."""
    if isinstance(candidate, HashHoldout) and isinstance(incumbent, HashHoldout):
        # Same key and salt: every row gets the same bucket in both runs, and the candidate's
        # test buckets are a subset of the incumbent's when its test fraction is not larger.
        return (
            candidate.key_columns == incumbent.key_columns
            and candidate.salt == incumbent.salt
            and incumbent.test_fraction >= candidate.test_fraction
        )
    if isinstance(candidate, TimeHoldout) and isinstance(incumbent, TimeHoldout):
        return incumbent.train_end < candidate.test_start
    return isinstance(candidate, FixedHoldout) and isinstance(incumbent, FixedHoldout)


def _rescorer(model: str, mode: Mode, tags: Iterable[str]) -> Rescorer:
    """The use case's rescorer, imported only when a comparison needs it."""
    from model_factory import use_cases

    try:
        use_case = use_cases.by_model(model, tags)
    except InputError as exc:
        raise MissingRescorer(
            f"{model}: a fair comparison needs to {mode} the incumbent, but no use case "
            f"registers this model (model_factory/use_cases.py) and it has no "
            f"{use_cases.TAG_PREFIX}<name> tag"
        ) from exc
    return import_module(use_case.rescorer).RESCORER
