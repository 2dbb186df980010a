"""The synthetic Rossmann generator and the input contract (each failure is one line)."""

import numpy as np
import pandas as pd
import pytest

from model_factory.errors import InputError
from model_factory.forecasting import data, synthetic
from model_factory.forecasting.config import ForecastTrainingConfig, SyntheticConfig

SMALL = ForecastTrainingConfig(
    holdout_days=14, validation_days=14, min_train_days=60, synthetic={"n_stores": 3, "n_days": 120}
)


def _sales(**synthetic_config) -> pd.DataFrame:
    return synthetic.generate(SyntheticConfig(**synthetic_config))[0]


def test_generator_has_rossmann_schema_and_full_size():
    train, stores = synthetic.generate(SyntheticConfig(n_stores=1115, n_days=942))
    assert list(train.columns) == data.SALES_COLUMNS
    assert len(train) == 1115 * 942
    assert list(stores.columns) == [
        "Store", "StoreType", "Assortment", "CompetitionDistance", "CompetitionOpenSinceMonth",
        "CompetitionOpenSinceYear", "Promo2", "Promo2SinceWeek", "Promo2SinceYear", "PromoInterval",
    ]  # fmt: skip
    assert (train["Date"].iloc[0], train["Date"].iloc[-1]) == ("2015-07-31", "2013-01-01")
    assert set(train["StateHoliday"]) == {"0", "a", "b", "c"}
    clean = data.validate(train, ForecastTrainingConfig())  # passes its own contract
    assert clean["Store"].nunique() == 1115


def test_generator_is_seeded():
    pd.testing.assert_frame_equal(_sales(n_stores=4, n_days=60), _sales(n_stores=4, n_days=60))
    other = _sales(n_stores=4, n_days=60, seed=8)
    assert not other["Sales"].equals(_sales(n_stores=4, n_days=60)["Sales"])


def test_generator_closes_on_sundays_and_holidays_and_promotes_weekdays():
    sales = data.validate(_sales(n_stores=30, n_days=800), SMALL)
    closed = sales["Open"] == 0
    assert closed[sales["DayOfWeek"] == 7].all()
    assert closed[sales["StateHoliday"].isin(["b", "c"])].all()
    # Some stores open on the moving holidays after Easter (Ascension is a Thursday 39 days
    # after Easter Sunday: 9 May 2013, 29 May 2014), selling less than on other Thursdays.
    holiday_open = sales[(sales["StateHoliday"] == "a") & ~closed]
    assert set(holiday_open["Date"].dt.strftime("%Y-%m-%d")) >= {"2013-05-09", "2014-05-29"}
    stores = holiday_open["Store"].unique()
    assert 0 < len(stores) < 30
    thursdays = sales[(sales["DayOfWeek"] == 4) & ~closed & sales["Store"].isin(stores)]
    ordinary = thursdays[thursdays["StateHoliday"] == "0"]["Sales"].median()
    ascension = thursdays[thursdays["StateHoliday"] == "a"]["Sales"].median()
    assert ascension < 0.85 * ordinary
    assert (sales.loc[closed, "Sales"] == 0).all() and (sales.loc[~closed, "Sales"] > 0).all()
    assert set(sales.loc[sales["Promo"] == 1, "DayOfWeek"]) == {1, 2, 3, 4, 5}
    # Christmas (c) and Easter (b) fall on the same dates in every state.
    christmas = sales[sales["StateHoliday"] == "c"]["Date"]
    assert set(christmas.dt.strftime("%m-%d")) <= {"12-25", "12-26"}
    open_days = sales[~closed]
    uplift = open_days.groupby("Promo")["Sales"].mean()
    assert uplift[1] > 1.15 * uplift[0]
    # Yearly seasonality: December (Christmas ramp) outsells the summer.
    month = open_days["Date"].dt.month
    assert open_days.loc[month == 12, "Sales"].mean() > open_days.loc[month == 7, "Sales"].mean()


def test_csv_with_numeric_and_letter_state_holidays_reads(tmp_path):
    sales = _sales(n_stores=3, n_days=120)
    path = tmp_path / "train.csv"
    sales.to_csv(path, index=False)  # StateHoliday: bare 0 next to a, b
    config = SMALL.model_copy(update={"data_path": str(path)})
    loaded, stores = data.load(config)
    clean = data.validate(loaded, config)
    assert set(clean["StateHoliday"]) <= {"0", "a", "b", "c"}
    assert list(stores.columns) == ["Store"] and stores.empty
    assert data.validate_stores(stores, clean)["Store"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda f: f.drop(columns="Promo"), "missing column(s) Promo"),
        (lambda f: f.assign(Date=f["Date"].where(f.index != 5, "2015-13-45")), "unparsable"),
        (lambda f: f.assign(Date=f["Date"].where(f.index != 5, "yesterday")), "'yesterday'"),
        (
            lambda f: f.assign(StateHoliday=f["StateHoliday"].where(f.index != 5, "x")),
            "StateHoliday",
        ),
        (lambda f: pd.concat([f, f.iloc[[7]]]), "duplicate Store/Date"),
        (lambda f: f.assign(Open=f["Open"].where(f.index != 5, 2)), "column Open"),
        (
            lambda f: f.assign(Sales=f["Sales"].astype(float).where(f.index != 5, np.nan)),
            "missing value",
        ),
        (lambda f: f.assign(DayOfWeek=f["DayOfWeek"] % 7 + 1), "DayOfWeek disagrees"),
        (lambda f: f[f["Date"] >= "2013-03-15"], "too little history"),
        (lambda f: f[~((f["Store"] == 2) & (f["Date"] > "2013-04-10"))], "no rows in the holdout"),
        (lambda f: f.iloc[0:0], "no rows"),
    ],
)
def test_bad_sales_data_is_one_line_input_error(corrupt, message):
    sales = _sales(n_stores=3, n_days=120).reset_index(drop=True)
    with pytest.raises(InputError) as caught:
        data.validate(corrupt(sales), SMALL, source="train.csv")
    text = str(caught.value)
    assert message in text and "\n" not in text and text.startswith("train.csv: ")


def test_store_table_must_cover_the_sales_stores():
    sales = data.validate(_sales(n_stores=3, n_days=120), SMALL)
    stores = synthetic.generate(SyntheticConfig(n_stores=2, n_days=1))[1]
    with pytest.raises(InputError, match="1 store"):
        data.validate_stores(stores, sales)


def test_windows_split_the_last_weeks():
    sales = data.validate(_sales(n_stores=3, n_days=120), SMALL)
    window = data.windows(sales, SMALL)
    assert window.as_metadata() == {
        "data_start": "2013-01-01",
        "validation_start": "2013-04-03",
        "holdout_start": "2013-04-17",
        "data_end": "2013-04-30",
    }
    assert window.evaluation_cutoff == pd.Timestamp("2013-04-16")


def test_retraining_holdout_is_at_most_half_the_batch_and_needs_two_weeks():
    batch = _sales(n_stores=3, n_days=42)  # 42 dates, each for 3 stores
    assert data.retraining_holdout(batch, 42) == 21
    assert data.retraining_holdout(batch, 14) == 14  # a shorter configured holdout stays
    short = batch[batch["Date"] >= sorted(batch["Date"].unique())[-13]]
    with pytest.raises(InputError, match=r"^recent batch: 13 days; retraining needs at least 14"):
        data.retraining_holdout(short, 42)
    with pytest.raises(InputError, match="Date"):
        data.retraining_holdout(batch.drop(columns="Date"), 42)
