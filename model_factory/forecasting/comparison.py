"""Fair-comparison hooks of the store forecaster (see `model_factory.fair_comparison`).

A run's holdout is its last `holdout_days` (a `TimeHoldout`); the registered model saw data up to
its `training_cutoff`. An incumbent whose cutoff precedes the candidate's holdout is re-scored on
those days (the usual case: new weeks of data arrived); otherwise its recorded config is refitted
on the candidate's history before the holdout, exactly as a backtest would, and then scored.
"""

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from pydantic import ValidationError

from model_factory.config import describe
from model_factory.fair_comparison import Holdout, NotComparable, Rescorer, TimeHoldout
from model_factory.forecasting import train
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.forecasting.data import Windows
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.forecasting.metrics import ErrorSums, scored_rows
from model_factory.forecasting.use_case import USE_CASE


def holdout(window: Windows, training_cutoff: str) -> dict:
    """The holdout days of this run and the last day its registered model saw."""
    return TimeHoldout(
        train_end=dt.date.fromisoformat(training_cutoff),
        test_start=window.holdout_start.date(),
        test_end=window.last_date.date(),
    ).model_dump(mode="json")


def score(
    forecaster: StoreForecaster, rows: pd.DataFrame, _config: Mapping, _holdout: Holdout
) -> dict[str, float]:
    """Pooled metrics of `forecaster` on the candidate's holdout rows (its calendar and Sales)."""
    unknown = sorted(set(rows["Store"]) - set(forecaster.stores))
    if unknown:
        raise NotComparable(f"it has no model for store(s) {', '.join(map(str, unknown[:5]))}")
    predicted = pd.concat(
        [
            forecaster.predict(int(store), days[train.CALENDAR_COLUMNS])
            for store, days in rows.groupby("Store", sort=True)
        ],
        ignore_index=True,
    )
    joined = rows[["Store", "Date", "Open", "Sales"]].merge(
        predicted[["Store", "Date", "forecast", "lower", "upper"]],
        on=["Store", "Date"],
        validate="one_to_one",
    )
    scored = joined[scored_rows(joined)]
    sums = ErrorSums.of(scored["Sales"], scored["forecast"], scored["lower"], scored["upper"])
    return sums.summary()


def refit(config: Mapping, sales: pd.DataFrame, holdout: Holdout) -> StoreForecaster:
    """The incumbent's recipe backtested on the candidate's sales: fitted before its holdout."""
    if not isinstance(holdout, TimeHoldout):
        raise NotComparable("the candidate has no time holdout to refit before")
    try:
        settings = ForecastTrainingConfig.model_validate(config)
    except ValidationError as exc:
        raise NotComparable(describe(exc, "its recorded config")) from exc
    history = sales[sales["Date"] <= pd.Timestamp(holdout.test_end)]
    days = (holdout.test_end - holdout.test_start).days + 1
    _, evaluated = train.backtest(history, settings.model_copy(update={"holdout_days": days}))
    return evaluated


RESCORER = Rescorer(
    model_artifact=USE_CASE.model_artifact,
    holdout_artifact="holdout_forecasts",
    score=score,
    train_artifact="sales",
    refit=refit,
)
