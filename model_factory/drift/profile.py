"""Reference profiles: what a model version saw, kept as JSON beside it.

A numeric profile holds the reference's quantile bin edges, the share of rows per bin and a
seeded sample of values (for the two-sample KS test); a categorical profile holds category
counts. Use cases add their prediction distribution, reference performance and, for
forecasting, per-store residual statistics.
"""

import numpy as np
import pandas as pd
from pydantic import Field

from model_factory.config import StrictModel
from model_factory.drift.config import DriftThresholds
from model_factory.errors import InputError
from model_factory.validation import (
    require_columns,
    require_no_nulls,
    require_numeric,
    require_rows,
)


class NumericProfile(StrictModel):
    edges: list[float]  # interior bin edges (reference quantiles, distinct)
    fractions: list[float]  # share of reference rows per bin; len(edges) + 1 bins
    sample: list[float]  # reference values (all, or a seeded sample) for the KS test
    mean: float
    n: int


class CategoricalProfile(StrictModel):
    counts: dict[str, int]
    n: int


class WeeklyProfile(StrictModel):
    """A store's week against its forecast: the mean log residual per weekday (1 = Monday .. 7,
    weekdays with at least two open days without promotion), their day counts and the pooled
    within-weekday residual sd, from which a batch's weekday shifts get their noise level."""

    means: dict[str, float]
    counts: dict[str, int]
    sd: float

    @property
    def dof(self) -> int:
        """Degrees of freedom of `sd`: days minus the weekday means estimated from them."""
        return sum(self.counts.values()) - len(self.counts)


class StoreProfile(StrictModel):
    """A store's log residuals log(actual / forecast) over the reference holdout."""

    level: float  # mean residual: how far the store sits from its forecast
    residual_sd: float
    n: int
    promo_effect: float | None  # on promo weekdays: promo-day minus other-day mean residual
    weekly: WeeklyProfile | None = None  # None: fewer than two weekdays with two open days


class ReferenceProfile(StrictModel):
    use_case: str
    n_rows: int
    numeric: dict[str, NumericProfile] = Field(default_factory=dict)
    categorical: dict[str, CategoricalProfile] = Field(default_factory=dict)
    prediction: NumericProfile | None = None
    anomaly_rate: float | None = None
    performance: dict[str, float] = Field(
        default_factory=dict
    )  # reference metric(s), e.g. {"roc_auc": 0.74}
    stores: dict[str, StoreProfile] = Field(default_factory=dict)
    target: str | None = None
    positive_label: str | None = None

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def numeric_profile(values, thresholds: DriftThresholds, seed: int = 0) -> NumericProfile:
    """Quantile bins of the reference values plus a sample of at most `reference_sample`
    (missing values left out: the model imputes them, drift is judged on what was measured)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    quantiles = np.quantile(values, np.linspace(0, 1, thresholds.bins + 1)[1:-1])
    edges = np.unique(quantiles)
    sample = values
    if len(values) > thresholds.reference_sample:
        rng = np.random.default_rng(seed)
        sample = rng.choice(values, thresholds.reference_sample, replace=False)
    return NumericProfile(
        edges=edges.tolist(),
        fractions=bin_fractions(values, edges.tolist()).tolist(),
        sample=np.sort(sample).tolist(),
        mean=float(values.mean()),
        n=len(values),
    )


def categorical_profile(values) -> CategoricalProfile:
    counts = pd.Series(values).astype(str).value_counts().sort_index()
    return CategoricalProfile(counts={k: int(v) for k, v in counts.items()}, n=int(counts.sum()))


def bin_fractions(values, edges: list[float]) -> np.ndarray:
    """Share of values per bin: (-inf, e0), [e0, e1), ..., [e_last, inf)."""
    index = np.searchsorted(np.asarray(edges), np.asarray(values, dtype=float), side="right")
    return np.bincount(index, minlength=len(edges) + 1) / max(len(index), 1)


def feature_profiles(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str], thresholds: DriftThresholds
) -> dict:
    """The `numeric` and `categorical` sections of a profile for these columns of `frame`."""
    return {
        "numeric": {
            c: numeric_profile(frame[c], thresholds, seed=i) for i, c in enumerate(numeric)
        },
        "categorical": {c: categorical_profile(frame[c]) for c in categorical},
    }


def require_batch(
    batch: pd.DataFrame, profile: ReferenceProfile, source: str, allow_missing: bool = False
) -> None:
    """An empty batch or one that lacks the profile's features (or has them mistyped, or
    missing unless the model imputes them): exit 2."""
    require_rows(batch, source)
    require_columns(batch, profile.features, source)
    if not allow_missing:
        require_no_nulls(batch, profile.features, source)
    require_numeric(batch, list(profile.numeric), source)
    if profile.n_rows == 0:
        raise InputError(f"{source}: the reference profile has no rows")
