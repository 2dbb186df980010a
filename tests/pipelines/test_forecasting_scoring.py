"""`model-factory predict forecasting`: every store's forecast into `store_forecasts`.

One tiny real training run (3 synthetic stores) is put in production directly (promotion has
tests of its own). Stored forecasts must be the registered forecaster's own, on the default
calendar and on a Rossmann test.csv; re-running replaces a version's rows; bad calendars exit 2
and write nothing.
"""

import pandas as pd
import pytest
import yaml
from sqlalchemy import create_engine
from zenml.client import Client

from model_factory.forecasting import sink, synthetic
from model_factory.forecasting.config import SyntheticConfig
from support import TINY_FORECAST, clear_stages, run_main, train_into_production

MODEL = "store_sales_forecaster"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> str:
    """A freshly trained 3-store forecaster in production, once for this module."""
    folder = tmp_path_factory.mktemp("forecast-train")
    sales, _ = synthetic.generate(SyntheticConfig(n_stores=3, n_days=420, seed=5))
    sales.to_csv(folder / "train.csv", index=False)
    (folder / "config.yaml").write_text(yaml.safe_dump({"parameters": {"config": TINY_FORECAST}}))
    return train_into_production(
        MODEL, folder, "forecasting", "--data", str(folder / "train.csv"),
        "--config", str(folder / "config.yaml"),
    )  # fmt: skip


def stored(db: str) -> pd.DataFrame:
    engine = create_engine(db)
    try:
        return sink.read_forecasts(engine)
    finally:
        engine.dispose()


def forecaster(version: str):
    return Client().get_model_version(MODEL, version).get_artifact("store_forecaster").load()


def test_default_horizon_for_every_store_is_idempotent(cli, cli_in_process, tmp_path, production):
    """The first command in a new interpreter, as a user types it; the others in this process."""
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    done = cli("predict", "forecasting", "--horizon", "7", "--db", db)
    assert done.returncode == 0, done.stderr[-3000:]
    first = stored(db)
    assert len(first) == 3 * 7 and set(first["model_version"]) == {production}
    model = forecaster(production)
    for store, rows in first.groupby("store"):
        expected = model.predict(int(store), horizon_days=7)
        assert rows["date"].tolist() == [d.date() for d in expected["Date"]]
        assert rows["forecast"].to_numpy() == pytest.approx(expected["forecast"].to_numpy())
        assert rows["open"].tolist() == expected["Open"].astype(bool).tolist()

    done = cli_in_process("predict", "forecasting", "--horizon", "7", "--db", db)
    assert done.returncode == 0, done.stderr[-3000:]
    again = stored(db)
    assert len(again) == 21  # replaced, not appended
    assert (again["created_at"] > first["created_at"].max()).all()


def test_a_rossmann_calendar_sets_promo_and_opening(cli_in_process, tmp_path, production):
    model = forecaster(production)
    start = model.cutoff + pd.Timedelta(days=1)
    days = pd.date_range(start, periods=5, freq="D")
    calendar = pd.DataFrame(
        {
            "Id": range(1, 11),
            "Store": [1] * 5 + [2] * 5,
            "DayOfWeek": [*(days.day_of_week + 1)] * 2,
            "Date": [*days.strftime("%Y-%m-%d")] * 2,
            "Open": [1, 1, 0, 1, 1] * 2,
            "Promo": [1, 1, 0, 0, 0] * 2,
            "StateHoliday": ["0"] * 10,
            "SchoolHoliday": [0] * 10,
        }
    )
    path = tmp_path / "test.csv"
    calendar.to_csv(path, index=False)
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    done = cli_in_process("predict", "forecasting", "--calendar", str(path), "--db", db)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = stored(db)
    assert len(rows) == 10 and rows["store"].unique().tolist() == [1, 2]
    for store, got in rows.groupby("store"):
        mine = calendar[calendar["Store"] == store].drop(columns=["Id", "Store", "DayOfWeek"])
        expected = model.predict(int(store), mine)
        assert got["forecast"].to_numpy() == pytest.approx(expected["forecast"].to_numpy())
        assert got.loc[~got["open"], "forecast"].eq(0).all() and (~got["open"]).sum() == 1


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("unknown store", "unknown store id(s) 99"),
        ("before cutoff", "is not after the model's training cutoff"),
        ("bad date", "column Date has 1 unparsable value(s)"),
        ("past the horizon", "is more than 366 days after the model's training cutoff"),
        ("year 2999", "column Date has a date out of range, e.g. '2999-01-01'"),
        ("missing column", "missing column(s) Store"),
    ],
)
def test_bad_calendars_exit_2_and_write_nothing(tmp_path, production, how, message):
    model = forecaster(production)
    day = model.cutoff + pd.Timedelta(days=1)
    calendar = pd.DataFrame({"Store": [1, 2], "Date": [day.strftime("%Y-%m-%d")] * 2})
    if how == "unknown store":
        calendar.loc[1, "Store"] = 99
    elif how == "before cutoff":
        calendar.loc[1, "Date"] = model.cutoff.strftime("%Y-%m-%d")
    elif how == "bad date":
        calendar.loc[1, "Date"] = "next tuesday"
    elif how == "past the horizon":
        calendar.loc[1, "Date"] = (model.cutoff + pd.Timedelta(days=367)).strftime("%Y-%m-%d")
    elif how == "year 2999":
        calendar.loc[1, "Date"] = "2999-01-01"
    else:
        calendar = calendar.drop(columns="Store")
    path, db = tmp_path / "test.csv", tmp_path / "staging.db"
    calendar.to_csv(path, index=False)
    args = ("predict", "forecasting", "--calendar", str(path), "--db", f"sqlite:///{db}")
    code, _, err = run_main(*args)
    assert code == 2, err
    assert message in err and err.strip().count("\n") == 0
    assert not db.exists()


def test_no_production_version_exits_2(tmp_path):
    clear_stages(MODEL)
    code, _, err = run_main("predict", "forecasting", "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2 and f"no version of {MODEL} is in production" in err
