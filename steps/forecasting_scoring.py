"""ZenML steps of batch store forecasting: adapters over `model_factory.forecasting.batch`."""

from datetime import UTC, datetime
from typing import Annotated

import pandas as pd
from zenml import step

from model_factory import sql
from model_factory.forecasting import batch, sink
from model_factory.forecasting.config import ForecastScoringConfig
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.paths import resolve_db_url


@step
def forecast_stores(
    forecaster: StoreForecaster, config: ForecastScoringConfig
) -> Annotated[pd.DataFrame, "forecasts"]:
    """Every store's forecast on the calendar file, or on the horizon after the cutoff."""
    if config.calendar_path is None:
        calendar = batch.default_calendar(forecaster, config.horizon_days)
    else:
        calendar = batch.read_calendar(config.calendar_path)
        batch.check_calendar(calendar, forecaster, config.calendar_path)
    return batch.forecast_all(forecaster, calendar)


@step
def write_forecasts(
    forecasts: pd.DataFrame, version: str, config: ForecastScoringConfig
) -> Annotated[dict, "metrics"]:
    """Replace this version's rows for these stores and dates; the URL is resolved at run
    time, so a password from $MODEL_FACTORY_DB_URL never lands in ZenML's run config."""
    url = resolve_db_url(None, config.db_url)
    engine = sql.engine_for(url)
    try:
        written = sink.replace_forecasts(engine, forecasts, version, datetime.now(UTC))
    finally:
        engine.dispose()
    return {
        "model_version": version,
        "n_stores": int(forecasts["Store"].nunique()),
        "first_date": forecasts["Date"].min().date().isoformat(),
        "last_date": forecasts["Date"].max().date().isoformat(),
        "rows_written": written,
        "table": sink.FORECASTS.name,
        "db_url": sql.safe_url(url),
    }
