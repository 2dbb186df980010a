"""Loading and validating Rossmann-shaped sales data, and the time windows of a run.

Every check raises `InputError` with one line naming the problem, so bad input exits 2 before
any training starts. Rossmann CSVs mix `0` and `'0'` in StateHoliday: it is read as a string.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model_factory.errors import InputError
from model_factory.forecasting import synthetic
from model_factory.forecasting.config import (
    MAX_STORE_ID,
    MIN_HOLDOUT_DAYS,
    SALES_RANGES,
    ForecastTrainingConfig,
)
from model_factory.validation import (
    ValueRange,
    read_table,
    require_columns,
    require_finite,
    require_in_range,
    require_no_nulls,
    require_numeric,
    require_table,
    require_unique,
    require_values_in,
)

SALES_COLUMNS = synthetic.SALES_ORDER
INTEGER_COLUMNS = ["Store", "DayOfWeek", "Sales", "Customers", "Open", "Promo", "SchoolHoliday"]
STATE_HOLIDAYS = ("0", "a", "b", "c")
STORE_IDS = ValueRange(min=1, max=MAX_STORE_ID)
FLAGS = ValueRange(min=0, max=1)
CSV_OPTIONS = {"dtype": {"StateHoliday": str}, "low_memory": False}


@dataclass(frozen=True)
class Windows:
    """Training | validation (model choice) | holdout (metrics), by date; ends inclusive."""

    first_date: pd.Timestamp
    validation_start: pd.Timestamp
    holdout_start: pd.Timestamp
    last_date: pd.Timestamp

    @property
    def evaluation_cutoff(self) -> pd.Timestamp:
        """Last day the evaluated models saw."""
        return self.holdout_start - pd.Timedelta(days=1)

    def as_metadata(self) -> dict[str, str]:
        return {
            "data_start": _day(self.first_date),
            "validation_start": _day(self.validation_start),
            "holdout_start": _day(self.holdout_start),
            "data_end": _day(self.last_date),
        }


def windows(sales: pd.DataFrame, config: ForecastTrainingConfig) -> Windows:
    last = sales["Date"].max()
    holdout_start = last - pd.Timedelta(days=config.holdout_days - 1)
    return Windows(
        first_date=sales["Date"].min(),
        validation_start=holdout_start - pd.Timedelta(days=config.validation_days),
        holdout_start=holdout_start,
        last_date=last,
    )


def retraining_holdout(batch: pd.DataFrame, configured: int) -> int:
    """Holdout days for training on a version's history plus a recent `batch`: at most half the
    batch's days. A holdout covering the whole batch hides the new regime from every model the
    backtest fits, so after a level change the candidate fails the RMSPE floor by construction;
    with half, it learns the change from the first half and is judged, like the re-scored
    incumbent, on the second."""
    require_columns(batch, ["Date"], "recent batch")
    days = parse_dates(batch["Date"], "recent batch").nunique()
    holdout = min(configured, days // 2)
    if holdout < MIN_HOLDOUT_DAYS:
        raise InputError(
            f"recent batch: {days} days; retraining needs at least {2 * MIN_HOLDOUT_DAYS} "
            "(half to learn the change from, half to judge it on)"
        )
    return holdout


def load(config: ForecastTrainingConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sales, stores) as read: the configured files, or the synthetic generator's output.

    Without a store file, `stores` is an empty frame with a `Store` column.
    """
    if config.data_path is None:
        return synthetic.generate(config.synthetic)
    sales = read_table(config.data_path, **CSV_OPTIONS)
    stores = (
        read_table(config.store_path, low_memory=False)
        if config.store_path
        else pd.DataFrame({"Store": pd.Series(dtype="int64")})
    )
    return sales, stores


def validate(
    sales: pd.DataFrame, config: ForecastTrainingConfig, source: str = "data"
) -> pd.DataFrame:
    """Schema, types, values, uniqueness and enough history; returns a clean, sorted frame."""
    frame = validate_rows(sales, source, config.ranges)
    if config.store_ids is not None:
        unknown = sorted(set(config.store_ids) - set(frame["Store"]))
        if unknown:
            raise InputError(f"{source}: store_ids not in the data: {unknown[:5]}")
        frame = frame[frame["Store"].isin(config.store_ids)].reset_index(drop=True)
    require_history(frame, config, source)
    return frame


def validate_rows(
    sales: pd.DataFrame, source: str = "data", ranges: Mapping[str, ValueRange] = SALES_RANGES
) -> pd.DataFrame:
    """Schema, types, values and uniqueness of sales rows (no history needed: a new batch)."""
    require_table(sales, SALES_COLUMNS, INTEGER_COLUMNS, source)
    bounds = {"Store": STORE_IDS, "DayOfWeek": ValueRange(min=1, max=7), "Open": FLAGS,
              "Promo": FLAGS, "SchoolHoliday": FLAGS, **ranges}  # fmt: skip
    frame = sales[SALES_COLUMNS].copy()
    for column in INTEGER_COLUMNS:  # in range first: 1e19 is "integral" but no int64
        require_in_range(frame, column, bounds[column], source)
        require_integers(frame, column, source)
    frame["Date"] = parse_dates(frame["Date"], source)
    frame["StateHoliday"] = frame["StateHoliday"].astype(str).str.strip()
    require_values_in(frame, "StateHoliday", STATE_HOLIDAYS, source)
    if n := int((frame["DayOfWeek"] != frame["Date"].dt.day_of_week + 1).sum()):
        raise InputError(f"{source}: DayOfWeek disagrees with Date in {n} row(s) (1 = Monday)")
    if n := int(((frame["Open"] == 0) & (frame["Sales"] > 0)).sum()):
        raise InputError(f"{source}: {n} row(s) have Sales > 0 on a closed day (Open = 0)")
    require_unique(
        frame.assign(Date=frame["Date"].dt.strftime("%Y-%m-%d")), ["Store", "Date"], source
    )
    return frame.sort_values(["Store", "Date"], ignore_index=True)


def require_integers(frame: pd.DataFrame, column: str, source: str) -> None:
    """The column as int64, its values checked to be whole numbers (within int64 beforehand)."""
    if n := int((frame[column] % 1 != 0).sum()):
        raise InputError(f"{source}: column {column} must hold integers ({n} row(s) do not)")
    frame[column] = frame[column].astype("int64")


def require_store_ids(frame: pd.DataFrame, source: str) -> None:
    """Store ids are positive integers (a model or a request never has store 0 or -5)."""
    require_numeric(frame, ["Store"], source)
    require_finite(frame, ["Store"], source)
    require_in_range(frame, "Store", STORE_IDS, source)
    require_integers(frame, "Store", source)


def parse_dates(values: pd.Series, source: str) -> pd.Series:
    """ISO dates (YYYY-MM-DD); anything else is named in the error."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.normalize().astype("datetime64[ns]")
    parsed = pd.to_datetime(values.astype(str), format="%Y-%m-%d", errors="coerce")
    if n := int(parsed.isna().sum()):
        example = values[parsed.isna()].iloc[0]
        raise InputError(
            f"{source}: column Date has {n} unparsable value(s), e.g. {example!r} "
            "(expected YYYY-MM-DD)"
        )
    try:
        return parsed.astype("datetime64[ns]")
    except pd.errors.OutOfBoundsDatetime as exc:  # nanosecond dates span 1677..2262
        outside = values[(parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max)]
        raise InputError(
            f"{source}: column Date has a date out of range, e.g. {outside.iloc[0]!r} (dates "
            f"must lie within {pd.Timestamp.min.date()}..{pd.Timestamp.max.date()})"
        ) from exc


def require_history(frame: pd.DataFrame, config: ForecastTrainingConfig, source: str) -> None:
    """Every store needs `min_train_days` before validation and rows up to the data's end."""
    window = windows(frame, config)
    needed_start = window.validation_start - pd.Timedelta(days=config.min_train_days)
    span = frame.groupby("Store")["Date"].agg(["min", "max"])
    trained = frame[(frame["Date"] < window.validation_start) & (frame["Sales"] > 0)]
    open_days = trained.groupby("Store").size().reindex(span.index, fill_value=0)
    short = span.index[(span["min"] > needed_start) | (open_days < 28)]
    if len(short):
        store = short[0]
        have = max(0, (window.validation_start - span.loc[store, "min"]).days)
        raise InputError(
            f"{source}: too little history for {len(short)} store(s), e.g. store {store} has "
            f"{have} day(s) ({open_days[store]} open) before the validation window starting "
            f"{_day(window.validation_start)}; need min_train_days={config.min_train_days} "
            f"plus validation_days={config.validation_days} and holdout_days={config.holdout_days}"
        )
    ended = span.index[span["max"] < window.holdout_start]
    if len(ended):
        raise InputError(
            f"{source}: {len(ended)} store(s) have no rows in the holdout window from "
            f"{_day(window.holdout_start)}, e.g. store {ended[0]} ends "
            f"{_day(span.loc[ended[0], 'max'])}; leave them out with store_ids"
        )


def validate_stores(
    stores: pd.DataFrame, sales: pd.DataFrame, source: str = "stores"
) -> pd.DataFrame:
    """The optional store table: one row per store of the sales data (or no rows at all)."""
    require_columns(stores, ["Store"], source)
    if stores.empty:
        return pd.DataFrame({"Store": np.sort(sales["Store"].unique())})
    require_no_nulls(stores, ["Store"], source)
    stores = stores.copy()
    require_store_ids(stores, source)
    require_unique(stores, ["Store"], source)
    missing = sorted(set(sales["Store"]) - set(stores["Store"]))
    if missing:
        raise InputError(
            f"{source}: {len(missing)} store(s) of the sales data are missing, e.g. {missing[:5]}"
        )
    return stores[stores["Store"].isin(sales["Store"])].sort_values("Store", ignore_index=True)


def _day(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%d")


def with_recent(history: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """The retraining window: the version's history extended by a recent batch (rows of the same
    store and date come from the batch), in store and date order."""
    history = history.assign(Date=pd.to_datetime(history["Date"]))
    batch = batch.assign(Date=parse_dates(batch["Date"], "recent batch"))
    combined = pd.concat([history, batch], ignore_index=True)
    combined = combined.drop_duplicates(["Store", "Date"], keep="last")
    return combined.sort_values(["Store", "Date"]).reset_index(drop=True)
