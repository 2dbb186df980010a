"""Future calendars: what a forecast needs to know about each day, with sensible defaults.

Rossmann's `test.csv` gives Open, Promo, StateHoliday and SchoolHoliday per (Store, Date). When a
caller leaves them out, a day is assumed to have no promotion, no holiday, and to be open if the
store usually opens on that weekday (and it is not a holiday).
"""

import numpy as np
import pandas as pd

from model_factory.errors import InputError
from model_factory.forecasting.data import STATE_HOLIDAYS, parse_dates
from model_factory.validation import require_columns, require_values_in

USUAL_WEEKS = 13
DEFAULTS = {"Promo": 0, "SchoolHoliday": 0, "StateHoliday": "0"}


def usual_opening(history: pd.DataFrame) -> tuple[float, ...]:
    """Share of non-holiday days the store was open per weekday (Monday first), last 13 weeks."""
    cutoff = history["Date"].max()
    recent = history[
        (history["Date"] > cutoff - pd.Timedelta(weeks=USUAL_WEEKS))
        & (history["StateHoliday"] == "0")
    ]
    shares = recent.groupby(recent["Date"].dt.day_of_week)["Open"].mean()
    return tuple(float(shares.get(day, 0.0)) for day in range(7))


def future_dates(cutoff: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
    """A calendar of the `horizon_days` days after the cutoff, defaults to be filled in."""
    if horizon_days < 1:
        raise InputError(f"horizon must be at least 1 day, got {horizon_days}")
    start = cutoff + pd.Timedelta(days=1)
    return pd.DataFrame({"Date": pd.date_range(start, periods=horizon_days, freq="D")})


def complete(
    calendar: pd.DataFrame, open_pattern: tuple[float, ...], source: str = "calendar"
) -> pd.DataFrame:
    """Date, DayOfWeek, Open, Promo, StateHoliday, SchoolHoliday with defaults for the gaps."""
    require_columns(calendar, ["Date"], source)
    out = pd.DataFrame({"Date": parse_dates(calendar["Date"].reset_index(drop=True), source)})
    if out["Date"].duplicated().any():
        raise InputError(f"{source}: duplicate dates")
    for column, default in DEFAULTS.items():
        given = calendar[column].reset_index(drop=True) if column in calendar else None
        out[column] = default if given is None else given.where(given.notna(), default)
    out["StateHoliday"] = out["StateHoliday"].astype(str).str.strip()
    require_values_in(out, "StateHoliday", STATE_HOLIDAYS, source)
    weekday = out["Date"].dt.day_of_week.to_numpy()
    usual = (np.asarray(open_pattern)[weekday] >= 0.5) & (out["StateHoliday"] == "0").to_numpy()
    given = calendar["Open"].reset_index(drop=True) if "Open" in calendar else None
    out["Open"] = usual if given is None else given.where(given.notna(), usual)
    for column in ("Open", "Promo", "SchoolHoliday"):
        require_values_in(out, column, (0, 1), source)
        out[column] = out[column].astype("int64")
    out.insert(1, "DayOfWeek", weekday + 1)
    return out
