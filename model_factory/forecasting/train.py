"""The per-store training loop: choose a candidate on validation, score the holdout, refit.

For each store, every candidate is fitted on the data before the validation window and scored
by RMSPE on it; the best one (ties: the earlier candidate in config) is refitted on everything
before the holdout and forecasts it, next to the seasonal-naive baselines. The holdout never
influences the choice. `refit` then fits each store's chosen candidate on all data, so the
registered model forecasts from the day after the data ends. Stores run in parallel worker
processes (joblib); each store's work is deterministic, so the worker count never changes results.
A group of stores (one Kubeflow fan-out task) runs the same code on the whole data with `stores`
given: the windows come from all stores, so the group's results are its share of a full run.
"""

import math
import sys
import time
from collections.abc import Callable, Collection, Iterable

import pandas as pd
from joblib import Parallel, delayed

from model_factory.forecasting import calendar as calendars
from model_factory.forecasting import naive
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.forecasting.data import Windows, windows
from model_factory.forecasting.forecaster import StoreForecaster, StoreModel, store_seed
from model_factory.forecasting.metrics import ErrorSums, scored_rows
from model_factory.forecasting.prophet_model import fit_prophet, predict_prophet, to_json

CALENDAR_COLUMNS = ["Date", "Open", "Promo", "StateHoliday", "SchoolHoliday"]


def backtest(
    sales: pd.DataFrame, config: ForecastTrainingConfig, stores: Collection[int] | None = None
) -> tuple[pd.DataFrame, StoreForecaster]:
    """(holdout forecasts with baselines, the models that made them) for every store, or for
    `stores` only (windows still from all of `sales`)."""
    window = windows(sales, config)
    tasks = {store: (frame, config, window) for store, frame in _by_store(sales, stores)}
    label = "backtest (choose on validation, forecast holdout)"
    results = run_per_store(_backtest_store, tasks, label, config.n_jobs)
    holdout = pd.concat([frame for _, frame in results.values()], ignore_index=True)
    models = {store: model for store, (model, _) in results.items()}
    return holdout, StoreForecaster(models, config.seed, config.interval_width)


def refit(
    sales: pd.DataFrame, evaluated: StoreForecaster, config: ForecastTrainingConfig
) -> StoreForecaster:
    """The model to register: the chosen candidate of each store `evaluated` knows, fitted on
    all data (or as evaluated)."""
    if not config.refit_on_all_data:
        return evaluated
    last = windows(sales, config).last_date
    tasks = {}
    for store, frame in _by_store(sales, evaluated.stores):
        chosen = evaluated.model(store)  # only its name and scores travel to the worker
        tasks[store] = (frame, chosen.candidate, last, config, chosen.validation_rmspe)
    models = run_per_store(fit_store_model, tasks, "refit on all data", config.n_jobs)
    return StoreForecaster(models, config.seed, config.interval_width)


def cutoffs(window: Windows, config: ForecastTrainingConfig) -> dict[str, str]:
    """Both cutoffs a model version records: what was evaluated and what is registered."""
    registered = window.last_date if config.refit_on_all_data else window.evaluation_cutoff
    return {
        "evaluation_cutoff": window.evaluation_cutoff.strftime("%Y-%m-%d"),
        "training_cutoff": registered.strftime("%Y-%m-%d"),
        "forecast_start": (registered + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
    }


def fit_store_model(
    history: pd.DataFrame,
    candidate: str,
    cutoff: pd.Timestamp,
    config: ForecastTrainingConfig,
    validation_rmspe: dict[str, float],
) -> StoreModel:
    """Fit one candidate on a store's history up to `cutoff` into a serialisable StoreModel."""
    history = history[history["Date"] <= cutoff]
    fitted = {}
    if candidate == "seasonal_naive":
        fitted["naive"] = naive.fit_naive(history, config.interval_width, cutoff=cutoff)
    else:
        fitted["prophet_json"] = to_json(fit_prophet(history, candidate, config))
    return StoreModel(
        store=int(history["Store"].iloc[0]),
        candidate=candidate,
        cutoff=cutoff,
        open_pattern=calendars.usual_opening(history),
        validation_rmspe=validation_rmspe,
        **fitted,
    )


def validation_scores(
    history: pd.DataFrame, window: Windows, config: ForecastTrainingConfig
) -> dict[str, float]:
    """RMSPE of each candidate on the validation window, fitted on the data before it."""
    before = history[history["Date"] < window.validation_start]
    valid = history[
        (history["Date"] >= window.validation_start) & (history["Date"] < window.holdout_start)
    ]
    valid = valid[scored_rows(valid)]
    cutoff = window.validation_start - pd.Timedelta(days=1)
    scores = {}
    for candidate in config.candidates:
        if valid.empty:
            scores[candidate] = math.nan
            continue
        if candidate == "seasonal_naive":
            model = naive.fit_naive(before, config.interval_width, cutoff=cutoff)
            forecast = model.predict(pd.DatetimeIndex(valid["Date"]))[0]
        else:
            model = fit_prophet(before, candidate, config, intervals=False)
            forecast = predict_prophet(model, candidate, valid[CALENDAR_COLUMNS], seed=0)[0]
        scores[candidate] = ErrorSums.of(valid["Sales"], forecast).rmspe
    return scores


def choose(scores: dict[str, float], candidates: list[str]) -> str:
    """The lowest validation RMSPE; the first candidate when nothing could be scored."""
    finite = [c for c in candidates if math.isfinite(scores.get(c, math.nan))]
    return min(finite, key=lambda c: scores[c]) if finite else candidates[0]


def _backtest_store(
    history: pd.DataFrame, config: ForecastTrainingConfig, window: Windows
) -> tuple[StoreModel, pd.DataFrame]:
    scores = validation_scores(history, window, config)
    chosen = choose(scores, config.candidates)
    model = fit_store_model(history, chosen, window.evaluation_cutoff, config, scores)
    holdout = history[history["Date"] >= window.holdout_start].reset_index(drop=True)
    predicted = model.predict(holdout[CALENDAR_COLUMNS], store_seed(config.seed, model.store))
    before = history[history["Date"] <= window.evaluation_cutoff]
    known_before = naive.known_sales(before)
    levels = naive.weekday_levels(known_before, window.evaluation_cutoff)
    dates = pd.DatetimeIndex(holdout["Date"])
    is_open = holdout["Open"].to_numpy() == 1
    season = naive.lagged_forecast(
        known_before, dates, naive.SEASON_LAG, window.evaluation_cutoff, levels
    )
    # The one-week baseline looks up actuals inside the holdout: it is a 7-day-ahead reference.
    week = naive.lagged_forecast(
        naive.known_sales(history), dates, naive.WEEK_LAG, window.last_date, levels
    )
    frame = holdout[["Store", *CALENDAR_COLUMNS, "Sales"]].assign(
        candidate=chosen,
        forecast=predicted["forecast"].to_numpy(),
        lower=predicted["lower"].to_numpy(),
        upper=predicted["upper"].to_numpy(),
        naive_52w=season * is_open,
        naive_1w=week * is_open,
    )
    return model, frame


def run_per_store(work: Callable, tasks: dict[int, tuple], label: str, n_jobs: int) -> dict:
    """{store: work(*arguments)} over worker processes, with progress, in store order."""
    jobs = (delayed(_keyed)(store, work, arguments) for store, arguments in tasks.items())
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    results = dict(_with_progress(parallel(jobs), len(tasks), label))
    return {store: results[store] for store in tasks}


def _by_store(
    sales: pd.DataFrame, stores: Collection[int] | None = None
) -> Iterable[tuple[int, pd.DataFrame]]:
    if stores is not None:
        sales = sales[sales["Store"].isin(stores)]
    for store, frame in sales.groupby("Store", sort=True):
        yield int(store), frame.reset_index(drop=True)


def _keyed(store: int, work: Callable, arguments: tuple):
    return store, work(*arguments)


def _with_progress(items: Iterable, total: int, label: str) -> Iterable:
    """Yield items, printing `label: done/total stores` about ten times, with elapsed time."""
    start = time.perf_counter()
    step = max(1, total // 10)
    for done, item in enumerate(items, 1):
        if done % step == 0 or done == total:
            elapsed = time.perf_counter() - start
            left = elapsed / done * (total - done)
            print(f"{label}: {done}/{total} stores, {elapsed:.0f} s elapsed, ~{left:.0f} s left",
                  file=sys.stderr, flush=True)  # fmt: skip
        yield item
