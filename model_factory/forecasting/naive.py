"""Seasonal-naive forecasts: the baseline every run reports and a candidate model per store.

A day's forecast is the store's Sales the same weekday `lag` days earlier (364 = 52 weeks,
7 = one week), stepping back whole lags when that day lies after the cutoff. When the earlier day
is missing or was closed, it says nothing about demand, so the forecast falls back to the median
open-day Sales of that weekday over the 8 weeks before the cutoff (see `weekday_levels`).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEASON_LAG = 364
WEEK_LAG = 7
RECENT_WEEKS = 8
MIN_RATIOS = 20


def known_sales(history: pd.DataFrame) -> pd.Series:
    """Sales by date of the open days with Sales > 0: what a lag may look up."""
    known = history.loc[(history["Open"] == 1) & (history["Sales"] > 0), ["Date", "Sales"]]
    return known.set_index("Date")["Sales"].astype(float)


def weekday_levels(known: pd.Series, cutoff: pd.Timestamp) -> np.ndarray:
    """Median Sales per weekday (Monday first) over the 8 weeks up to the cutoff.

    A weekday without recent sales uses all earlier ones; a weekday the store never opened on
    uses the median of all recent open days.
    """
    past = known[known.index <= cutoff]
    recent = past[past.index > cutoff - pd.Timedelta(weeks=RECENT_WEEKS)]
    overall = float((recent if len(recent) else past).median()) if len(past) else 0.0
    levels = np.full(7, overall)
    for day in range(7):
        for window in (recent, past):
            values = window[window.index.day_of_week == day]
            if len(values):
                levels[day] = float(values.median())
                break
    return levels


def lagged_forecast(
    known: pd.Series, dates: pd.DatetimeIndex, lag: int, cutoff: pd.Timestamp, levels: np.ndarray
) -> np.ndarray:
    """Sales `lag` days earlier (whole lags back past the cutoff), else the weekday level."""
    ahead = (dates - cutoff).days.to_numpy()
    steps = np.maximum(1, -(-ahead // lag))
    refs = dates - pd.to_timedelta(steps * lag, unit="D")
    values = known.reindex(refs).to_numpy(float)
    return np.where(np.isnan(values), levels[dates.day_of_week], values)


@dataclass(frozen=True)
class SeasonalNaive:
    """A fitted seasonal-naive forecaster: the last `lag` days it needs, levels and interval."""

    lag_days: int
    cutoff: pd.Timestamp
    recent: pd.Series
    levels: np.ndarray
    log_interval: tuple[float, float]

    def predict(self, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(forecast, lower, upper); the interval comes from in-sample log ratios."""
        forecast = lagged_forecast(self.recent, dates, self.lag_days, self.cutoff, self.levels)
        low, high = self.log_interval
        return forecast, forecast * np.exp(low), forecast * np.exp(high)

    def to_dict(self) -> dict:
        return {
            "lag_days": self.lag_days,
            "cutoff": self.cutoff.strftime("%Y-%m-%d"),
            "recent": {d.strftime("%Y-%m-%d"): float(v) for d, v in self.recent.items()},
            "levels": [float(v) for v in self.levels],
            "log_interval": list(self.log_interval),
        }

    @classmethod
    def from_dict(cls, values: dict) -> "SeasonalNaive":
        recent = pd.Series(values["recent"], dtype=float)
        recent.index = pd.DatetimeIndex(pd.to_datetime(recent.index, format="%Y-%m-%d"))
        return cls(
            lag_days=int(values["lag_days"]),
            cutoff=pd.Timestamp(values["cutoff"]),
            recent=recent,
            levels=np.asarray(values["levels"], float),
            log_interval=(float(values["log_interval"][0]), float(values["log_interval"][1])),
        )


def fit_naive(
    history: pd.DataFrame, interval_width: float, cutoff: pd.Timestamp, lag: int = SEASON_LAG
) -> SeasonalNaive:
    """Fit on a store's history (Date, Sales, Open) up to the cutoff."""
    known = known_sales(history[history["Date"] <= cutoff])
    levels = weekday_levels(known, cutoff)
    # Interval: quantiles of in-sample log(actual / forecast), from lag look-ups when there are
    # enough of them, else from the weekday-level fallback.
    lagged = known.reindex(known.index - pd.Timedelta(days=lag)).to_numpy()
    ratios = np.log(known.to_numpy() / lagged)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) < MIN_RATIOS:
        ratios = np.log(known.to_numpy() / levels[known.index.day_of_week])
        ratios = ratios[np.isfinite(ratios)]
    tail = (1 - interval_width) / 2
    interval = (
        (float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail)))
        if len(ratios)
        else (0.0, 0.0)
    )
    recent = known[known.index > cutoff - pd.Timedelta(days=lag)]
    return SeasonalNaive(lag, cutoff, recent, levels, interval)
