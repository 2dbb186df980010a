"""Seasonal-naive forecasts: the baseline every run reports and two candidate models per store.

`seasonal_naive` is holiday-aware (`holiday_calendar`): a holiday is forecast by the same holiday
a year earlier, a day next to one by the same day next to it, an ordinary day by an ordinary day
of the same weekday 52 weeks back. `naive_level` multiplies it by the store's recent level: the
median ratio of actual to that forecast over the 4 weeks up to the cutoff, so a store that grew
since last year is not forecast at last year's level. When there is no reference day with sales,
the forecast is the median open-day Sales of that weekday over the 8 weeks before the cutoff
(`weekday_levels`).

The plain 52-week lookup (`lagged_forecast`) stays as a reference baseline (`naive_364_rmspe`)
and for the one-week reference inside the holdout.
"""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from model_factory.forecasting import holiday_calendar

SEASON_LAG = 364
WEEK_LAG = 7
RECENT_WEEKS = 8
LEVEL_DAYS = 28
LEVEL_BOUNDS = (0.5, 2.0)  # a level correction beyond these is a broken reference, not growth
KEPT_DAYS = 3 * 364 + 21  # the history a fitted naive keeps: references reach 3 years back
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


def day_flags(frame: pd.DataFrame, country: str | None) -> tuple[dict, set, set]:
    """({date: holiday name}, {SchoolHoliday dates}, {Promo dates}) of a history or calendar."""
    dates = pd.DatetimeIndex(frame["Date"])
    state = frame["StateHoliday"].to_numpy(str) if "StateHoliday" in frame else None
    names = holiday_calendar.holiday_names(dates, state, country)
    holidays = {d: n for d, n in zip(dates, names, strict=True) if n}
    flagged = [
        set(dates[frame[column].to_numpy() == 1]) if column in frame else set()
        for column in ("SchoolHoliday", "Promo")
    ]
    return holidays, *flagged


@dataclass(frozen=True)
class SeasonalNaive:
    """A fitted holiday-aware seasonal naive: the history it looks up, levels, level factor."""

    cutoff: pd.Timestamp
    recent: pd.Series  # Sales of open days, last KEPT_DAYS
    holidays: dict  # Timestamp -> name, over the kept days
    school: frozenset
    promo: frozenset
    levels: np.ndarray
    country: str | None = None
    level_factor: float = 1.0

    def predict(self, calendar: pd.DataFrame | pd.DatetimeIndex) -> np.ndarray:
        """Point forecasts for the calendar's days (Date, optional StateHoliday, SchoolHoliday)."""
        if isinstance(calendar, pd.DatetimeIndex):
            calendar = pd.DataFrame({"Date": calendar})
        holidays, school, promo = day_flags(calendar, self.country)
        days = holiday_calendar.Days(
            {**self.holidays, **holidays}, self.school | school, self.promo | promo, self.recent
        )
        out = np.empty(len(calendar))
        for i, day in enumerate(pd.DatetimeIndex(calendar["Date"])):
            ref = days.reference(day, self.cutoff)
            out[i] = days.sales[ref] if ref is not None else self.levels[day.day_of_week]
        return out * self.level_factor

    def to_dict(self) -> dict:
        return {
            "cutoff": _day(self.cutoff),
            "recent": {_day(d): float(v) for d, v in self.recent.items()},
            "holidays": {_day(d): n for d, n in sorted(self.holidays.items())},
            "school": sorted(_day(d) for d in self.school),
            "promo": sorted(_day(d) for d in self.promo),
            "levels": [float(v) for v in self.levels],
            "country": self.country,
            "level_factor": self.level_factor,
        }

    @classmethod
    def from_dict(cls, values: dict) -> "SeasonalNaive":
        recent = pd.Series(values["recent"], dtype=float)
        recent.index = pd.DatetimeIndex(pd.to_datetime(recent.index, format="%Y-%m-%d"))
        return cls(
            cutoff=pd.Timestamp(values["cutoff"]),
            recent=recent,
            holidays={pd.Timestamp(d): n for d, n in values["holidays"].items()},
            school=frozenset(pd.Timestamp(d) for d in values["school"]),
            promo=frozenset(pd.Timestamp(d) for d in values["promo"]),
            levels=np.asarray(values["levels"], float),
            country=values["country"],
            level_factor=float(values["level_factor"]),
        )


def fit_naive(
    history: pd.DataFrame, cutoff: pd.Timestamp, country: str | None = None, level: bool = False
) -> SeasonalNaive:
    """Fit on a store's history (Date, Sales, Open, optional holiday columns) up to the cutoff;
    `level`: with the recent level correction (`naive_level`)."""
    history = history[history["Date"] <= cutoff]
    known = known_sales(history)
    kept = history[history["Date"] > cutoff - pd.Timedelta(days=KEPT_DAYS)]
    holidays, school, promo = day_flags(kept, country)
    model = SeasonalNaive(
        cutoff=cutoff,
        recent=known[known.index > cutoff - pd.Timedelta(days=KEPT_DAYS)],
        holidays=holidays,
        school=frozenset(school),
        promo=frozenset(promo),
        levels=weekday_levels(known, cutoff),
        country=country,
    )
    if not level:
        return model
    recent = kept[kept["Date"] > cutoff - pd.Timedelta(days=LEVEL_DAYS)]
    recent = recent[(recent["Open"] == 1) & (recent["Sales"] > 0)]
    if recent.empty:
        return model
    # In-sample: each recent day against its reference a year earlier (both before the cutoff).
    ratios = np.log(recent["Sales"].to_numpy(float) / model.predict(recent))
    factor = float(np.exp(np.median(ratios[np.isfinite(ratios)]))) if len(ratios) else 1.0
    factor = float(np.clip(factor, *LEVEL_BOUNDS)) if np.isfinite(factor) else 1.0
    return replace(model, level_factor=factor)


def in_sample_log_interval(
    history: pd.DataFrame, cutoff: pd.Timestamp, width: float
) -> tuple[float, float]:
    """Quantiles of in-sample log(actual / Sales 52 weeks earlier) (else / weekday level): the
    interval of a store too short for the rolling windows."""
    known = known_sales(history[history["Date"] <= cutoff])
    lagged = known.reindex(known.index - pd.Timedelta(days=SEASON_LAG)).to_numpy()
    ratios = np.log(known.to_numpy() / lagged)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) < MIN_RATIOS:
        levels = weekday_levels(known, cutoff)
        ratios = np.log(known.to_numpy() / levels[known.index.day_of_week])
        ratios = ratios[np.isfinite(ratios)]
    tail = (1 - width) / 2
    if not len(ratios):
        return (0.0, 0.0)
    low, high = float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))
    return min(0.0, low), max(0.0, high)  # the interval holds the forecast itself


def _day(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%d")
