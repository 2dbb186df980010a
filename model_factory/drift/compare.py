"""Compare a batch with a reference profile: one `Check` per feature, prediction or metric.

Numeric: PSI over the reference's quantile bins and the two-sample Kolmogorov-Smirnov test
against the stored reference sample. Categorical: PSI over categories (unseen ones count as
their own category) and the chi-square test of the 2 x k table of reference and batch counts.
A distribution drifts when PSI >= the threshold and the test's p-value < its threshold.
"""

import itertools
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import stats

from model_factory.config import StrictModel
from model_factory.drift.config import DriftThresholds
from model_factory.drift.profile import CategoricalProfile, NumericProfile, bin_fractions
from model_factory.errors import InputError

EPSILON = 1e-4  # floor of a bin share in PSI (an empty bin would make it infinite)

Kind = Literal["numeric", "categorical", "prediction", "performance", "store"]


class Check(StrictModel):
    """One line of the drift table."""

    name: str
    kind: Kind
    statistic: str  # what `value` is: psi, change of a rate, metric drop, residual shift
    value: float
    threshold: float
    test: str | None = None
    p_value: float | None = None
    p_threshold: float | None = None
    drifted: bool
    bins: list[str] = Field(default_factory=list)  # for the report's plots: bin labels and shares
    reference: list[float] = Field(default_factory=list)
    batch: list[float] = Field(default_factory=list)


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    r = np.clip(np.asarray(reference, float), EPSILON, None)
    b = np.clip(np.asarray(batch, float), EPSILON, None)
    return float(np.sum((b - r) * np.log(b / r)))


def numeric(
    name: str, profile: NumericProfile, values, thresholds: DriftThresholds, kind: Kind = "numeric"
) -> Check:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]  # missing values are imputed, not a distribution shift
    if not len(values):
        raise InputError(f"{name}: the batch has no measured value")
    shares = bin_fractions(values, profile.edges)
    p_value = float(stats.ks_2samp(profile.sample, values).pvalue)
    return _psi_check(
        name, kind, _bin_labels(profile.edges), profile.fractions, shares, "ks", p_value, thresholds
    )


def categorical(
    name: str, profile: CategoricalProfile, values, thresholds: DriftThresholds
) -> Check:
    batch_counts = pd.Series(values).astype(str).value_counts()
    categories = sorted(set(profile.counts) | set(batch_counts.index))
    reference = np.array([profile.counts.get(c, 0) for c in categories], dtype=float)
    batch = batch_counts.reindex(categories, fill_value=0).to_numpy(dtype=float)
    seen = (reference + batch) > 0
    if seen.sum() > 1:
        p_value = float(stats.chi2_contingency(np.vstack([reference, batch])[:, seen])[1])
    else:
        p_value = 1.0  # one category on both sides: nothing moved
    return _psi_check(
        name,
        "categorical",
        categories,
        reference / reference.sum(),
        batch / batch.sum(),
        "chi2",
        p_value,
        thresholds,
    )


def _psi_check(
    name: str,
    kind: Kind,
    bins: list[str],
    reference,
    batch,
    test: str,
    p_value: float,
    thresholds: DriftThresholds,
) -> Check:
    """The PSI of the batch's shares per bin against the reference's: drift needs it at the
    threshold or above AND the distribution test significant (a large batch makes any move
    significant, a small one any PSI)."""
    reference, batch = np.asarray(reference, float), np.asarray(batch, float)
    value = psi(reference, batch)
    return Check(
        name=name,
        kind=kind,
        statistic="psi",
        value=value,
        threshold=thresholds.psi,
        test=test,
        p_value=p_value,
        p_threshold=thresholds.p_value,
        drifted=value >= thresholds.psi and p_value < thresholds.p_value,
        bins=bins,
        reference=reference.tolist(),
        batch=batch.tolist(),
    )


def features(profile, batch: pd.DataFrame, thresholds: DriftThresholds) -> list[Check]:
    """A check per numeric and categorical feature of the profile."""
    return [
        *(numeric(n, p, batch[n], thresholds) for n, p in profile.numeric.items()),
        *(categorical(n, p, batch[n], thresholds) for n, p in profile.categorical.items()),
    ]


def performance(
    metric: str, reference: float, batch: float, max_drop: float, higher_is_better: bool
) -> Check:
    """The metric's drop from the reference (positive = worse) against `max_drop`."""
    drop = reference - batch if higher_is_better else batch - reference
    return Check(
        name=metric,
        kind="performance",
        statistic=f"{metric} drop",
        value=float(drop),
        threshold=max_drop,
        drifted=bool(drop > max_drop),
        bins=["reference", "batch"],
        reference=[reference],
        batch=[batch],
    )


def _bin_labels(edges: list[float]) -> list[str]:
    bounds = ["-inf", *(f"{e:.4g}" for e in edges), "inf"]
    return [f"[{lo}, {hi})" for lo, hi in itertools.pairwise(bounds)]
