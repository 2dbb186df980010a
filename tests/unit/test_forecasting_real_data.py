"""The forecaster on a real daily series nobody here tuned: US births 2011-2014 (SSA data via
FiveThirtyEight, CC BY 4.0, tests/data/README.md), recast to the Rossmann schema as one store open
every day, with holidays from the US calendar (`holiday_country`), no StateHoliday column marks.

Each holdout holds a moving holiday, where "same weekday 52 weeks earlier" compares the holiday
with an ordinary day: the trained model must beat the holiday-aware naive there, and its interval
must cover most of the days."""

from pathlib import Path

import pandas as pd
import pytest

from model_factory.forecasting import data, evaluate, train
from model_factory.forecasting.config import ForecastTrainingConfig

BIRTHS = Path(__file__).parents[1] / "data" / "us_births_2011_2014.csv"
CONFIG = ForecastTrainingConfig(data_path=str(BIRTHS), holiday_country="US", n_jobs=1)


@pytest.fixture(scope="module")
def births() -> pd.DataFrame:
    """The births as Rossmann rows: Store 1, Sales = births, open daily, no promotions."""
    raw = pd.read_csv(BIRTHS)
    dates = pd.to_datetime(
        {"year": raw["year"], "month": raw["month"], "day": raw["date_of_month"]}
    )
    return pd.DataFrame(
        {
            "Store": 1,
            "DayOfWeek": raw["day_of_week"],
            "Date": dates.dt.strftime("%Y-%m-%d"),
            "Sales": raw["births"],
            "Customers": raw["births"],
            "Open": 1,
            "Promo": 0,
            "StateHoliday": "0",
            "SchoolHoliday": 0,
        }
    )


# Holdouts of 42 days ending on these dates: Labor Day (1 Sep 2014), Thanksgiving (27 Nov 2014).
@pytest.mark.parametrize(
    "last_day", ["2014-09-30", "2014-12-10"], ids=["labor_day", "thanksgiving"]
)
def test_beats_the_holiday_aware_naive_in_a_window_with_a_moving_holiday(births, last_day):
    sales = data.validate(births[births["Date"] <= last_day], CONFIG)
    holdout, evaluated = train.backtest(sales, CONFIG)
    metrics = evaluate.pooled_metrics(holdout, evaluated)
    assert metrics["n_holiday_days"] > 0 and metrics["n_fallback_stores"] == 0
    assert metrics["rmspe"] < metrics["naive_rmspe"], metrics
    assert metrics["coverage"] >= 0.9, metrics
    # The holiday itself (births fall by ~40%) is mapped to the same holiday a year earlier.
    holiday = {"2014-09-30": "2014-09-01", "2014-12-10": "2014-11-27"}[last_day]
    day = holdout[holdout["Date"] == holiday].iloc[0]
    assert abs(day["naive_52w"] / day["Sales"] - 1) < 0.1
    assert abs(day["forecast"] / day["Sales"] - 1) < 0.1


def test_christmas_is_compared_with_christmas_not_with_an_ordinary_weekday(births):
    """A fixed-date holiday moves through the week: 52 weeks before Christmas 2014 (Thursday)
    is 26 December 2013; the holiday-aware naive takes Christmas 2013."""
    sales = data.validate(births[births["Date"] <= "2014-12-31"], CONFIG)
    holdout, evaluated = train.backtest(sales, CONFIG)
    metrics = evaluate.pooled_metrics(holdout, evaluated)
    assert metrics["naive_rmspe"] < metrics["naive_364_rmspe"], metrics
    assert metrics["rmspe"] < metrics["naive_rmspe"], metrics
    christmas = holdout[holdout["Date"] == "2014-12-25"].iloc[0]
    assert abs(christmas["naive_52w"] / christmas["Sales"] - 1) < 0.1
