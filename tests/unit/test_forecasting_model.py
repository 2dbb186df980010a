"""Behaviour of the per-store forecaster: promo learnt, closed days 0, determinism, refit."""

import json

import numpy as np
import pandas as pd
import pytest

from model_factory.errors import InputError
from model_factory.forecasting import calendar as calendars
from model_factory.forecasting import data, evaluate, synthetic, train
from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig
from model_factory.forecasting.forecaster import StoreForecaster

TINY = ForecastTrainingConfig(
    holdout_days=28,
    validation_days=28,
    min_train_days=180,
    candidates=["prophet_log", "prophet_additive", "seasonal_naive", "mean_best_two"],
    prophet={"yearly_fourier_order": 3},
    n_jobs=1,
)
PROPHETS = ["prophet_additive", "prophet_multiplicative", "prophet_log"]


def _store(store: int, promo_effect: float, days: int = 420) -> pd.DataFrame:
    """One store in the Rossmann schema whose promotions lift Sales by `promo_effect`."""
    dates = pd.date_range("2014-01-01", periods=days, freq="D")
    weekday = dates.day_of_week.to_numpy()
    rng = np.random.default_rng(store)
    promo = ((np.arange(days) // 7) % 2 == 0) & (weekday < 5)
    is_open = weekday != 6
    level = 5000 * (1 + 0.15 * (weekday == 0)) * (1 + promo_effect * promo)
    sales = np.where(is_open, np.rint(level * rng.lognormal(0, 0.04, days)), 0).astype(int)
    frame = pd.DataFrame(
        {
            "Store": store,
            "DayOfWeek": weekday + 1,
            "Date": dates.strftime("%Y-%m-%d"),
            "Sales": sales,
            "Customers": sales // 10,
            "Open": is_open.astype(int),
            "Promo": promo.astype(int),
            "StateHoliday": "0",
            "SchoolHoliday": 0,
        }
    )
    return data.validate(frame, TINY)


def _next_days(cutoff: pd.Timestamp, days: int, **columns) -> pd.DataFrame:
    return pd.DataFrame(
        {"Date": pd.date_range(cutoff + pd.Timedelta(days=1), periods=days)} | columns
    )


@pytest.fixture(scope="module")
def demo_sales() -> pd.DataFrame:
    raw, _ = synthetic.generate(SyntheticConfig(n_stores=3, n_days=420, seed=11))
    return data.validate(raw, TINY)


@pytest.fixture(scope="module")
def backtested(demo_sales) -> tuple[pd.DataFrame, StoreForecaster]:
    return train.backtest(demo_sales, TINY)


@pytest.mark.parametrize("candidate", PROPHETS)
def test_promo_effect_is_learnt_where_history_shows_one(candidate):
    for store, effect in ((1, 0.4), (2, 0.0)):
        history = _store(store, effect)
        cutoff = history["Date"].max()
        model = train.fit_store_model(history, candidate, cutoff, TINY)
        with_promo = model.predict(_next_days(cutoff, 12, Promo=1), seed=0)
        without = model.predict(_next_days(cutoff, 12, Promo=0), seed=0)
        is_open = with_promo["Open"] == 1
        ratio = with_promo.loc[is_open, "forecast"] / without.loc[is_open, "forecast"]
        if effect:
            assert (ratio > 1.25).all() and (ratio < 1.55).all(), ratio.tolist()
        else:
            assert ((ratio - 1).abs() < 0.05).all(), ratio.tolist()


@pytest.mark.parametrize("candidate", ["prophet_log", "seasonal_naive"])
def test_closed_days_forecast_zero(candidate):
    history = _store(1, 0.3)
    cutoff = history["Date"].max()
    model = train.fit_store_model(history, candidate, cutoff, TINY)
    given = _next_days(cutoff, 14, Open=[1, 0] * 7)
    out = model.predict(given, seed=0)
    closed = out["Open"] == 0
    assert closed.sum() == 7
    assert (out.loc[closed, ["forecast", "lower", "upper"]] == 0).all().all()
    assert (out.loc[~closed, "forecast"] > 0).all()
    # Defaults: the store's usual weekdays (never Sunday), closed on a holiday, no promotion.
    defaults = model.predict(_next_days(cutoff, 14, StateHoliday=["0"] * 13 + ["a"]), seed=0)
    expected_closed = (defaults["Date"].dt.day_of_week == 6) | (defaults.index == 13)
    assert defaults["Open"].eq(~expected_closed).all()
    assert (defaults.loc[expected_closed, "forecast"] == 0).all()
    assert (defaults.loc[~expected_closed, "forecast"] > 0).all()


def test_backtest_chooses_on_rolling_windows_and_scores_the_holdout(demo_sales, backtested):
    holdout, evaluated = backtested
    window = data.windows(demo_sales, TINY)
    assert holdout["Date"].min() == window.holdout_start
    assert len(holdout) == 3 * TINY.holdout_days
    for store in evaluated.stores:
        model = evaluated.model(store)
        scores = model.validation_rmspe
        assert set(scores) == set(TINY.candidates)
        # The first candidate unless another's window score is lower by more than the margin;
        # then the best score (ties: the earlier candidate in config).
        default, best = TINY.candidates[0], min(scores.values())
        if best < scores[default] * (1 - TINY.switch_margin):
            assert scores[model.candidate] == best
        else:
            assert model.candidate == default
        assert model.cutoff == window.evaluation_cutoff
        sums = model.window_sums
        assert all(len(sums[name]) == TINY.selection_windows for name in sums)
        low, high = model.log_interval
        assert low < 0 < high
    closed = holdout["Open"] == 0
    assert (holdout.loc[closed, ["forecast", "naive_52w", "naive_1w"]] == 0).all().all()
    metrics = evaluate.pooled_metrics(holdout, evaluated)
    assert 0 < metrics["rmspe"] < 0.5 and 0 < metrics["coverage"] <= 1
    assert metrics["n_fallback_stores"] == 0 and metrics["n_holiday_days"] > 0
    assert metrics["best_single_window_rmspe"] == min(
        metrics[f"window_rmspe_{c}"] for c in TINY.candidates
    )
    assert metrics["selection_window_rmspe"] > 0


def test_a_store_too_short_for_the_windows_gets_the_naive_with_a_warning(demo_sales):
    late = demo_sales["Date"].min() + pd.Timedelta(days=150)  # short of the first window
    short = demo_sales[(demo_sales["Store"] != 1) | (demo_sales["Date"] >= late)]
    config = TINY.model_copy(update={"candidates": ["seasonal_naive", "naive_level"]})
    holdout, evaluated = train.backtest(short, config)
    model = evaluated.model(1)
    assert model.candidate == "seasonal_naive" and "too little history" in model.warning
    metrics = evaluate.pooled_metrics(holdout, evaluated)
    assert metrics["n_fallback_stores"] == 1


def test_holdout_actuals_never_influence_the_choice_or_the_forecast(demo_sales, backtested):
    holdout, evaluated = backtested
    start = data.windows(demo_sales, TINY).holdout_start
    in_holdout = demo_sales["Date"] >= start
    factors = np.random.default_rng(0).uniform(0.5, 2.0, int(in_holdout.sum()))
    changed = demo_sales.copy()
    changed.loc[in_holdout, "Sales"] = (changed.loc[in_holdout, "Sales"] * factors).round()
    holdout_b, evaluated_b = train.backtest(changed, TINY)
    assert evaluated_b.to_files() == evaluated.to_files()
    columns = ["forecast", "lower", "upper", "naive_52w"]
    pd.testing.assert_frame_equal(holdout_b[columns], holdout[columns])
    assert not holdout_b["Sales"].equals(holdout["Sales"])


def test_runs_are_deterministic_across_worker_counts(demo_sales):
    config = TINY.model_copy(update={"candidates": ["prophet_multiplicative", "seasonal_naive"]})
    serial = train.backtest(demo_sales, config)
    parallel = train.backtest(demo_sales, config.model_copy(update={"n_jobs": 2}))
    pd.testing.assert_frame_equal(serial[0], parallel[0])
    assert serial[1].to_files() == parallel[1].to_files()


def test_predictions_repeat_and_survive_json_round_trip(backtested):
    _, evaluated = backtested
    files = evaluated.to_files()
    assert all(json.loads(text) for text in files.values())  # every file is plain JSON
    restored = StoreForecaster.from_files(files.__getitem__)
    for store in evaluated.stores:
        first = evaluated.predict(store, horizon_days=21)
        pd.testing.assert_frame_equal(first, evaluated.predict(store, horizon_days=21))
        pd.testing.assert_frame_equal(first, restored.predict(store, horizon_days=21))
    prophet_store = next(s for s in evaluated.stores if evaluated.model(s).has_prophet)
    reseeded = StoreForecaster(evaluated.models, seed=evaluated.seed + 1, interval_width=0.95)
    a, b = evaluated.predict(prophet_store), reseeded.predict(prophet_store)
    pd.testing.assert_frame_equal(a, b)  # nothing is sampled: intervals are calibrated


def test_an_old_format_is_refused_in_one_line(backtested):
    files = backtested[1].to_files()
    index = json.loads(files["index.json"]) | {"format": "store-forecaster/1"}
    old = files | {"index.json": json.dumps(index)}
    with pytest.raises(InputError, match=r"format 'store-forecaster/1'.*retrain") as error:
        StoreForecaster.from_files(old.__getitem__)
    assert "\n" not in str(error.value)


def test_refit_uses_all_data_and_forecasts_from_the_next_day(demo_sales, backtested):
    _, evaluated = backtested
    final = train.refit(demo_sales, evaluated, TINY)
    last = demo_sales["Date"].max()
    assert final.cutoff == last
    assert final.candidate_counts() == evaluated.candidate_counts()
    future = final.predict(1, horizon_days=7)
    assert future["Date"].iloc[0] == last + pd.Timedelta(days=1)
    window = data.windows(demo_sales, TINY)
    assert train.cutoffs(window, TINY) == {
        "evaluation_cutoff": window.evaluation_cutoff.strftime("%Y-%m-%d"),
        "training_cutoff": last.strftime("%Y-%m-%d"),
        "forecast_start": (last + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
    }
    kept = train.refit(demo_sales, evaluated, TINY.model_copy(update={"refit_on_all_data": False}))
    assert kept is evaluated


@pytest.mark.slow
def test_default_config_beats_seasonal_naive_on_demo_data():
    config = ForecastTrainingConfig()
    raw, _ = data.load(config)
    sales = data.validate(raw, config)
    metrics = evaluate.pooled_metrics(*train.backtest(sales, config))
    assert metrics["n_stores"] >= 20 and sales["Date"].nunique() >= 2.5 * 365
    assert metrics["rmspe"] < metrics["naive_rmspe"], metrics
    assert 0.92 <= metrics["coverage"] <= 0.97, metrics


def test_calendar_defaults_and_rossmann_test_csv_rows():
    weekdays_only = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.0)
    rows = pd.DataFrame(  # test.csv shape: Open may be empty (NaN), StateHoliday mixes 0 and "0"
        {
            "Id": [1, 2, 3, 4],
            "Store": [622] * 4,
            "DayOfWeek": [4, 5, 6, 7],
            "Date": ["2015-09-17", "2015-09-18", "2015-09-19", "2015-09-20"],
            "Open": [np.nan, 1.0, np.nan, np.nan],
            "Promo": [1, 1, 0, 0],
            "StateHoliday": [0, "a", "0", "0"],
            "SchoolHoliday": [0, 0, 0, 1],
        }
    )
    out = calendars.complete(rows, weekdays_only)
    assert out["Open"].tolist() == [1, 1, 1, 0]  # usual Thursday, given, usual Saturday, Sunday
    assert out["StateHoliday"].tolist() == ["0", "a", "0", "0"]
    bare = calendars.complete(pd.DataFrame({"Date": ["2015-09-18", "2015-09-20"]}), weekdays_only)
    assert bare[["Open", "Promo", "SchoolHoliday"]].values.tolist() == [[1, 0, 0], [0, 0, 0]]
    with pytest.raises(InputError, match="unparsable"):
        calendars.complete(pd.DataFrame({"Date": ["tomorrow"]}), weekdays_only)
    with pytest.raises(InputError, match="column Promo"):
        calendars.complete(pd.DataFrame({"Date": ["2015-09-18"], "Promo": [3]}), weekdays_only)
    with pytest.raises(InputError, match="unknown store 9"):
        StoreForecaster({}, seed=0, interval_width=0.95).predict(9)
