"""From a validated store request to the forecaster's calendar and back: no web framework here.

Dates are checked against the served model: forecasts start after its training cutoff and end at
most `max_horizon_days` after it. Days the request does not describe get the forecaster's own
defaults (`model_factory.forecasting.calendar.complete`).
"""

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.serving.schemas import DayForecast, DayOverride, StoreForecast, StoreRequest

# Request field -> calendar column (booleans become the 0/1 the forecaster was trained on).
OVERRIDE_COLUMNS = {
    "open": "Open",
    "promo": "Promo",
    "state_holiday": "StateHoliday",
    "school_holiday": "SchoolHoliday",
}


@dataclass(frozen=True)
class OutOfRange(Exception):
    """A date the served model cannot forecast; `field` is its place in the store request."""

    field: tuple[str | int, ...]
    message: str


def window(
    request: StoreRequest, cutoff: dt.date, default_days: int, max_horizon_days: int
) -> tuple[dt.date, dt.date]:
    """(first, last) day to forecast, defaults filled in, checked against cutoff and horizon."""
    last_allowed = cutoff + dt.timedelta(days=max_horizon_days)
    begin = request.begin_date or cutoff + dt.timedelta(days=1)
    if begin <= cutoff:
        raise OutOfRange(("begin_date",), f"must be after the training cutoff {cutoff}")
    if begin > last_allowed:
        raise _beyond("begin_date", cutoff, max_horizon_days)
    if request.end_date is None:
        end = min(begin + dt.timedelta(days=default_days - 1), last_allowed)
    else:
        end = request.end_date
        if end < begin:
            raise OutOfRange(("end_date",), f"must not be before the first forecast day {begin}")
        if end > last_allowed:
            raise _beyond("end_date", cutoff, max_horizon_days)
    for index, day in enumerate(request.overrides):
        if not begin <= day.date <= end:
            raise OutOfRange(("overrides", index, "date"), f"not between {begin} and {end}")
    return begin, end


def _beyond(field: str, cutoff: dt.date, max_horizon_days: int) -> OutOfRange:
    last = cutoff + dt.timedelta(days=max_horizon_days)
    return OutOfRange(
        (field,),
        f"beyond the horizon: the last day this model forecasts is {last} "
        f"({max_horizon_days} days after its training cutoff {cutoff})",
    )


def calendar(begin: dt.date, end: dt.date, overrides: list[DayOverride]) -> pd.DataFrame:
    """Date plus one column per overridden field (missing days None: the default applies)."""
    frame = pd.DataFrame({"Date": pd.date_range(begin, end, freq="D")})
    position = {day.date(): i for i, day in enumerate(frame["Date"])}
    for field, column in OVERRIDE_COLUMNS.items():
        given = {position[o.date]: getattr(o, field) for o in overrides}
        given = {i: value for i, value in given.items() if value is not None}
        if given:
            values: list = [None] * len(frame)
            for i, value in given.items():
                values[i] = value if isinstance(value, str) else int(value)
            frame[column] = pd.Series(values, dtype=object)
    return frame


def predict_days(
    forecaster: StoreForecaster,
    store: int,
    begin: dt.date,
    end: dt.date,
    overrides: list[DayOverride],
) -> pd.DataFrame:
    """The forecaster's own prediction for one store request (blocking: Prophet runs here)."""
    return forecaster.predict(store, calendar(begin, end, overrides))


def predict_json(
    forecaster: StoreForecaster,
    store: int,
    begin: dt.date,
    end: dt.date,
    overrides: list[DayOverride],
) -> bytes:
    """`predict_days` as `StoreForecast` JSON."""
    days = predict_days(forecaster, store, begin, end, overrides)
    return store_json(
        store, [d.date() for d in days["Date"]], days["Open"], days["forecast"], days["lower"],
        days["upper"],
    )  # fmt: skip


def store_json(store: int, dates, is_open, forecast, lower, upper) -> bytes:
    """One store's days as `StoreForecast` JSON: the one serialisation of computed and
    precomputed forecasts alike."""
    days = [
        DayForecast(date=d, open=bool(o), forecast=f, lower=lo, upper=up)
        for d, o, f, lo, up in zip(dates, is_open, forecast, lower, upper, strict=True)
    ]
    return StoreForecast(store_id=store, days=days).model_dump_json().encode()


def cache_key(version_id: str, store: int, begin: dt.date, end: dt.date, overrides) -> tuple:
    """Everything a forecast depends on, the model version first: a reload never hits old ones."""
    facts = tuple(
        (o.date, o.open, o.promo, o.state_holiday, o.school_holiday)
        for o in sorted(overrides, key=lambda o: o.date)
    )
    return version_id, store, begin, end, facts
