"""Forecast metrics from pooled sums, so partial results (store groups, workers) add up exactly.

Rows count only when the store is open and Sales > 0 (Rossmann's RMSPE ignores zero sales).
RMSPE = sqrt(mean(((y - f) / y)^2)), MAPE = mean(|y - f| / y), MAE = mean(|y - f|), coverage =
share of rows with lower <= y <= upper.
"""

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd


def scored_rows(frame: pd.DataFrame) -> pd.Series:
    """The rows every metric is pooled over: open days with Sales > 0."""
    return (frame["Open"] == 1) & (frame["Sales"] > 0)


@dataclass(frozen=True)
class ErrorSums:
    """Sufficient statistics of the metrics; `a + b` pools two sets of rows."""

    n: int = 0
    squared_pct: float = 0.0
    absolute_pct: float = 0.0
    absolute: float = 0.0
    n_interval: int = 0
    covered: int = 0

    @classmethod
    def of(cls, actual, forecast, lower=None, upper=None) -> "ErrorSums":
        """Sums over rows with actual > 0 (callers pass scored rows; zeros are dropped anyway)."""
        actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
        keep = actual > 0
        error = actual[keep] - forecast[keep]
        pct = error / actual[keep]
        n_interval = covered = 0
        if lower is not None and upper is not None:
            low, high = np.asarray(lower, float)[keep], np.asarray(upper, float)[keep]
            n_interval = int(keep.sum())
            covered = int(((low <= actual[keep]) & (actual[keep] <= high)).sum())
        return cls(
            n=int(keep.sum()),
            squared_pct=float(np.sum(pct**2)),
            absolute_pct=float(np.sum(np.abs(pct))),
            absolute=float(np.sum(np.abs(error))),
            n_interval=n_interval,
            covered=covered,
        )

    def __add__(self, other: "ErrorSums") -> "ErrorSums":
        return ErrorSums(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def rmspe(self) -> float:
        return math.sqrt(self.squared_pct / self.n) if self.n else math.nan

    @property
    def mape(self) -> float:
        return self.absolute_pct / self.n if self.n else math.nan

    @property
    def mae(self) -> float:
        return self.absolute / self.n if self.n else math.nan

    @property
    def coverage(self) -> float:
        return self.covered / self.n_interval if self.n_interval else math.nan

    def summary(self) -> dict[str, float]:
        return {"rmspe": self.rmspe, "mape": self.mape, "mae": self.mae, "coverage": self.coverage}

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ErrorSums":
        return cls(**values)


def total(parts: Iterable[ErrorSums]) -> ErrorSums:
    return sum(parts, ErrorSums())


def rmspe(actual, forecast) -> float:
    return ErrorSums.of(actual, forecast).rmspe
