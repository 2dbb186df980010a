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
            "naive_364": [100, 0, 200, 200],
            "naive_1w": [50, 0, 200, 400],
        }
    )
    metrics = pooled_metrics(holdout)
    assert metrics["rmspe"] == pytest.approx(math.sqrt((0.01 + 0.01 + 0) / 3))
    assert metrics["coverage"] == pytest.approx(2 / 3)
    assert metrics["interval_width"] == pytest.approx((15 / 90 + 100 / 220 + 200 / 400) / 3)
    assert metrics["naive_rmspe"] == pytest.approx(math.sqrt(0.25 / 3))
    assert metrics["naive_364_rmspe"] == pytest.approx(math.sqrt(0.25 / 3))
    assert metrics["naive_1w_rmspe"] == pytest.approx(math.sqrt(0.25 / 3))
    assert (metrics["n_stores"], metrics["n_rows"]) == (2, 3)
    by_store = [holdout_sums(frame) for _, frame in holdout.groupby("Store")]
    added = {k: total(part[k] for part in by_store) for k in by_store[0]}
    assert metrics_from_sums(added, 2) == pytest.approx(metrics)


def _history(sales: np.ndarray, start: str = "2014-01-01", **columns) -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(sales), freq="D")
    return pd.DataFrame({"Date": dates, "Sales": sales, "Open": 1} | columns)


def test_seasonal_naive_takes_the_same_weekday_52_weeks_earlier():
    history = _history(np.random.default_rng(1).lognormal(np.log(1000), 0.1, 400).round())
    cutoff = history["Date"].iloc[-1]
    model = naive.fit_naive(history, cutoff)
    future = pd.date_range(cutoff + pd.Timedelta(days=1), periods=3, freq="D")
    forecast = model.predict(future)
    expected = history.set_index("Date")["Sales"].reindex(future - pd.Timedelta(days=364))
    assert forecast.tolist() == expected.tolist()
    assert [d.weekday() for d in future] == [d.weekday() for d in expected.index]


def test_seasonal_naive_steps_back_whole_years_and_falls_back_without_a_reference():
    history = _history(np.arange(1, 801) * 10.0)
    cutoff = history["Date"].iloc[-1]
    for offset in (-364 - 14, -364 - 7, -364, -364 + 7, -364 + 14):  # no ordinary day with sales
        history.loc[history.index[offset], ["Open", "Sales"]] = 0
    for offset in (-728 - 14, -728 - 7, -728, -728 + 7, -728 + 14):
        history.loc[history.index[offset], ["Open", "Sales"]] = 0
    model = naive.fit_naive(history, cutoff)
    day_one = cutoff + pd.Timedelta(days=1)
    far = cutoff + pd.Timedelta(days=400)
    forecast = model.predict(pd.DatetimeIndex([day_one, far]))
    sales = history.set_index("Date")["Sales"]
    same_weekday = sales[(sales.index.day_of_week == day_one.day_of_week) & (sales > 0)]
    assert forecast[0] == same_weekday.iloc[-8:].median()  # weekday level of the last 8 weeks
    assert forecast[1] == sales[far - pd.Timedelta(days=728)]


def test_holidays_map_to_the_same_holiday_and_ordinary_days_to_ordinary_days():
    """Thanksgiving 2014 (27 Nov) to Thanksgiving 2013 (28 Nov), not to 28 Nov 2013 - 364 days;
    the ordinary Thursday 52 weeks after Thanksgiving 2013 (27 Nov 2014 is the holiday, so take
    4 Dec 2014) to an ordinary Thursday a year earlier, not to the day after Thanksgiving."""
    history = _history(np.arange(1, 731) * 1.0, start="2013-01-01")
    sales = history.set_index("Date")["Sales"]
    model = naive.fit_naive(
        history[history["Date"] <= "2014-11-01"], pd.Timestamp("2014-11-01"), country="US"
    )
    days = pd.DatetimeIndex(["2014-11-27", "2014-11-28", "2014-12-04", "2014-09-01"])
    forecast = model.predict(days)
    day = pd.Timestamp
    assert forecast[0] == sales[day("2013-11-28")]  # Thanksgiving
    assert forecast[1] == sales[day("2013-11-29")]  # the day after it
    assert forecast[2] == sales[day("2013-12-05")]  # an ordinary Thursday: 364 days back
    assert forecast[3] == sales[day("2013-09-02")]  # Labor Day
    # From StateHoliday codes alone: Easter Monday 2014 (21 Apr) to Easter Monday 2013 (1 Apr).
    coded = history.assign(StateHoliday="0", SchoolHoliday=0, Promo=0)
    coded.loc[coded["Date"].isin(pd.to_datetime(["2013-04-01", "2013-03-29"])), "StateHoliday"] = (
        "b"
    )
    state = naive.fit_naive(coded[coded["Date"] <= "2014-03-01"], pd.Timestamp("2014-03-01"))
    calendar = pd.DataFrame(
        {"Date": pd.to_datetime(["2014-04-21", "2014-04-18"]), "StateHoliday": ["b", "b"]}
    )
    expected = [sales[day("2013-04-01")], sales[day("2013-03-29")]]  # and Good Friday
    assert state.predict(calendar).tolist() == expected


def test_level_correction_follows_recent_growth():
    history = _history(np.r_[np.full(364, 1000.0), np.full(100, 1200.0)])
    cutoff = history["Date"].iloc[-1]
    plain = naive.fit_naive(history, cutoff)
    level = naive.fit_naive(history, cutoff, level=True)
    future = pd.date_range(cutoff + pd.Timedelta(days=1), periods=7)
    assert level.level_factor == pytest.approx(1.2)
    assert level.predict(future) == pytest.approx(plain.predict(future) * 1.2)
