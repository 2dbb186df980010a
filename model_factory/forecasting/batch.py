"""Batch forecasts for every store from a registered forecaster, on a future calendar.

The calendar is Rossmann's `test.csv` (Id, Store, DayOfWeek, Date, Open, Promo, StateHoliday,
SchoolHoliday): Store and Date are required; a missing Open, Promo, StateHoliday or
SchoolHoliday takes the documented default (`calendar.complete`: the store's usual weekday
opening, no promotion, no holiday). Without a calendar, every store gets the `horizon_days`
after the model's training cutoff with those defaults.
"""

import pandas as pd

from model_factory.errors import InputError
from model_factory.forecasting import calendar as calendars
from model_factory.forecasting.config import MAX_HORIZON_DAYS
from model_factory.forecasting.data import CSV_OPTIONS, parse_dates, require_store_ids
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.validation import (
    read_table,
    require_columns,
    require_no_nulls,
    require_rows,
    require_unique,
)

CALENDAR_FIELDS = ["Open", "Promo", "StateHoliday", "SchoolHoliday"]


def read_calendar(path: str) -> pd.DataFrame:
    """A Rossmann test.csv as Store, Date and whichever calendar fields it has."""
    frame = read_table(path, **CSV_OPTIONS)
    require_rows(frame, path)
    require_columns(frame, ["Store", "Date"], path)
    require_no_nulls(frame, ["Store"], path)
    frame = frame.copy()
    require_store_ids(frame, path)
    frame = frame.assign(Date=parse_dates(frame["Date"], path))
    require_unique(frame, ["Store", "Date"], path)
    return frame[["Store", "Date", *(c for c in CALENDAR_FIELDS if c in frame.columns)]]


def check_calendar(calendar: pd.DataFrame, forecaster: StoreForecaster, source: str) -> None:
    """Every store must be known to the model and every date after its training cutoff, at
    most MAX_HORIZON_DAYS after it."""
    unknown = sorted(set(calendar["Store"].astype(int)) - set(forecaster.stores))
    if unknown:
        shown = ", ".join(map(str, unknown[:10])) + (" ..." if len(unknown) > 10 else "")
        raise InputError(f"{source}: unknown store id(s) {shown} (the model has none for them)")
    cutoff = forecaster.cutoff
    if (early := calendar["Date"] <= cutoff).any():
        first = calendar.loc[early, "Date"].min().date()
        raise InputError(
            f"{source}: date {first} is not after the model's training cutoff {cutoff.date()}"
        )
    last = cutoff + pd.Timedelta(days=MAX_HORIZON_DAYS)
    if (late := calendar["Date"] > last).any():
        first = calendar.loc[late, "Date"].min().date()
        raise InputError(
            f"{source}: date {first} is more than {MAX_HORIZON_DAYS} days after the model's "
            f"training cutoff {cutoff.date()} (forecasts end by {last.date()})"
        )


def default_calendar(forecaster: StoreForecaster, horizon_days: int) -> pd.DataFrame:
    """Every store, the `horizon_days` after the cutoff, all fields left to the defaults."""
    days = calendars.future_dates(forecaster.cutoff, horizon_days)
    stores = pd.DataFrame({"Store": forecaster.stores})
    return stores.merge(days, how="cross")


def forecast_all(forecaster: StoreForecaster, calendar: pd.DataFrame) -> pd.DataFrame:
    """Store, Date, Open, forecast, lower, upper for every (store, date) of the calendar."""
    frames = [
        forecaster.predict(int(store), days.drop(columns="Store"))
        for store, days in calendar.groupby("Store", sort=True)
    ]
    return pd.concat(frames, ignore_index=True)
