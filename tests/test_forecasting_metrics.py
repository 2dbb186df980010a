"""Metrics against hand-computed values, pooled sums that add up, and the naive baselines."""

import math

import numpy as np
import pandas as pd
import pytest

from model_factory.forecasting import naive
from model_factory.forecasting.evaluate import holdout_sums, metrics_from_sums, pooled_metrics
from model_factory.forecasting.metrics import ErrorSums, rmspe, scored_rows, total


def test_metrics_match_hand_computed_values():
    # errors: -10 (-10%), +20 (+10%), 0, 30 (+20%)
    sums = ErrorSums.of(
        [100, 200, 50, 150], [110, 180, 50, 120], [90, 190, 40, 130], [120, 210, 60, 140]
    )
    assert sums.rmspe == pytest.approx(math.sqrt((0.01 + 0.01 + 0 + 0.04) / 4))
    assert sums.mape == pytest.approx((0.1 + 0.1 + 0 + 0.2) / 4)
    assert sums.mae == pytest.approx((10 + 20 + 0 + 30) / 4)
    assert sums.coverage == pytest.approx(3 / 4)  # 150 is outside [130, 140]


def test_zero_sales_rows_do_not_count():
    assert rmspe([100, 0], [110, 500]) == pytest.approx(0.1)
    frame = pd.DataFrame({"Open": [1, 1, 0], "Sales": [10, 0, 0]})
    assert scored_rows(frame).tolist() == [True, False, False]


def test_pooled_sums_of_parts_equal_the_whole():
    rng = np.random.default_rng(0)
    actual = rng.uniform(100, 1000, 50)
    forecast = actual * rng.uniform(0.7, 1.3, 50)
    lower, upper = forecast * 0.9, forecast * 1.1
    whole = ErrorSums.of(actual, forecast, lower, upper)
    parts = [
        ErrorSums.of(actual[s], forecast[s], lower[s], upper[s])
        for s in (slice(0, 17), slice(17, 50))
    ]
    pooled = total(parts)
    assert pooled.n == whole.n and pooled.covered == whole.covered
    for name in ("rmspe", "mape", "mae", "coverage"):
        assert getattr(pooled, name) == pytest.approx(getattr(whole, name))
    assert ErrorSums.from_dict(pooled.to_dict()) == pooled  # survives a JSON hop


def test_pooled_metrics_of_a_holdout_frame():
    holdout = pd.DataFrame(
        {
            "Store": [1, 1, 2, 2],
            "Open": [1, 0, 1, 1],
            "Sales": [100, 0, 200, 400],
            "forecast": [90, 0, 220, 400],
            "lower": [80, 0, 150, 300],
            "upper": [95, 0, 250, 500],
            "naive_52w": [100, 0, 100, 400],
            "naive_1w": [50, 0, 200, 400],
        }
    )
    metrics = pooled_metrics(holdout)
    assert metrics["rmspe"] == pytest.approx(math.sqrt((0.01 + 0.01 + 0) / 3))
    assert metrics["coverage"] == pytest.approx(2 / 3)
    assert metrics["naive_rmspe"] == pytest.approx(math.sqrt(0.25 / 3))
    assert metrics["naive_1w_rmspe"] == pytest.approx(math.sqrt(0.25 / 3))
    assert (metrics["n_stores"], metrics["n_rows"]) == (2, 3)
    by_store = [holdout_sums(frame) for _, frame in holdout.groupby("Store")]
    added = {k: total(part[k] for part in by_store) for k in by_store[0]}
    assert metrics_from_sums(added, 2) == pytest.approx(metrics)


def _history(sales: np.ndarray, start: str = "2014-01-01") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(sales), freq="D")
    return pd.DataFrame({"Date": dates, "Sales": sales, "Open": 1})


def test_seasonal_naive_takes_the_same_weekday_52_weeks_earlier():
    history = _history(np.random.default_rng(1).lognormal(np.log(1000), 0.1, 400).round())
    cutoff = history["Date"].iloc[-1]
    model = naive.fit_naive(history, 0.95, cutoff=cutoff)
    future = pd.date_range(cutoff + pd.Timedelta(days=1), periods=3, freq="D")
    forecast, lower, upper = model.predict(future)
    expected = history.set_index("Date")["Sales"].reindex(future - pd.Timedelta(days=364))
    assert forecast.tolist() == expected.tolist()
    assert (lower < forecast).all() and (forecast < upper).all()
    assert [d.weekday() for d in future] == [d.weekday() for d in expected.index]


def test_seasonal_naive_steps_back_whole_years_and_falls_back_when_closed():
    history = _history(np.arange(1, 801) * 10.0)
    history.loc[history.index[-364], ["Open", "Sales"]] = 0  # closed 52 weeks before day 1
    cutoff = history["Date"].iloc[-1]
    model = naive.fit_naive(history, 0.95, cutoff=cutoff)
    day_one = cutoff + pd.Timedelta(days=1)
    far = cutoff + pd.Timedelta(days=400)
    forecast, _, _ = model.predict(pd.DatetimeIndex([day_one, far]))
    sales = history.set_index("Date")["Sales"]
    same_weekday = sales[(sales.index.day_of_week == day_one.day_of_week) & (sales > 0)]
    assert forecast[0] == same_weekday.iloc[-8:].median()  # weekday level of the last 8 weeks
    assert forecast[1] == sales[far - pd.Timedelta(days=728)]
