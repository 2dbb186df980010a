"""Malformed data files are refused by validation before any pipeline runs: exit 2, one line
naming the real problem, and nothing registered, written or changed (model versions in ZenML,
files under the outputs and the test's folder, rows in the staging database).

Each file is tiny and written from a valid one with one defect: values that parse but are not
data (overflows, denormals, control characters), repeated column names, too little of a class
to train on, store ids no request can ask for.
"""

import os
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from model_factory import sql
from model_factory.bank import predict
from model_factory.bank.config import BankTrainingConfig
from model_factory.errors import InputError
from model_factory.forecasting import batch, synthetic
from model_factory.forecasting.config import SyntheticConfig
from model_factory.paths import RESOURCES
from model_factory.taxi import sink
from support import TINY_FORECAST, World, assert_refused, run_main

RUN_DATE = "2024-06-01"


@pytest.fixture(scope="module")
def bank() -> pd.DataFrame:
    with zipfile.ZipFile(RESOURCES / "bank.zip") as archive, archive.open("bank.csv") as handle:
        return pd.read_csv(handle, sep=";")


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    """One synthetic store with just enough history for the tiny forecaster's windows."""
    frame, _ = synthetic.generate(SyntheticConfig(n_stores=1, n_days=240, seed=3))
    return frame


@pytest.fixture
def staging(tmp_path) -> str:
    """A staging database holding an earlier day's labels (rows to count)."""
    url = f"sqlite:///{tmp_path / 'staging.db'}"
    engine = sql.engine_for(url)
    labels = pd.DataFrame({"ride_id": ["old-1", "old-2"], "ride_dist": [1.0, 2.0],
                           "ride_time": [3.0, 4.0], "ride_speed": [20.0, 30.0], "cluster": 0,
                           "is_anomaly": False, "model_version": "1"})  # fmt: skip
    sink.replace_day(engine, labels, date(2024, 5, 31), datetime(2024, 5, 31, tzinfo=UTC))
    engine.dispose()
    return url


def refused(tmp_path: Path, args: list[str], message: str, databases=()) -> None:
    """`model-factory ARGS` exits 2 with `message` and leaves the world as it was."""
    folders = [tmp_path, os.environ["MODEL_FACTORY_HOME"]]
    before = World(folders=folders, databases=databases)
    code, _, stderr = run_main(*args)
    assert_refused(code, stderr, message)
    assert World(folders=folders, databases=databases) == before


RIDES = "ride_id,ride_dist,ride_time\na,1.5,4\nb,2.0,6\nc,3.1,9\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(RIDES + "d,2.0,1e-320\n", "column ride_time must be >= 0.01 (1 row(s)",
                     id="denormal-time-infinite-speed"),
        pytest.param(RIDES + "d,1e308,9\n", "column ride_dist must be <= 1000 (1 row(s) are "
                     "not, e.g. 1e+308)", id="distance-1e308"),
        pytest.param(RIDES + "d\x00x,2.0,6\n", "column ride_id must be printable text",
                     id="nul-in-id"),
        pytest.param(RIDES + "e\x1b[2J,2.0,6\n", "ride_id must be printable text",
                     id="escape-sequence-in-id"),
        pytest.param("ride_id,ride_dist,ride_time,ride_dist\na,1.5,4,900\nb,2.0,6,800\n",
                     "duplicate column name(s) ride_dist", id="two-ride-dist-columns"),
        pytest.param(RIDES + "d,-inf,9\n", "column ride_dist has 1 non-finite", id="minus-inf"),
    ],
)  # fmt: skip
def test_malformed_rides_are_refused(tmp_path, staging, content, message):
    path = tmp_path / "rides.csv"
    path.write_text(content)
    args = ["detect", "taxi", "--run-date", RUN_DATE, "--data", str(path), "--db", staging]
    refused(tmp_path, args, message, databases=[staging])


def _bank_cases(frame: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, str]]:
    head = frame.head(40).reset_index(drop=True)

    def balance(value: float) -> pd.DataFrame:
        return head.assign(balance=head["balance"].astype(float).where(head.index != 7, value))

    two_yes = pd.concat([frame[frame["y"] == "no"].head(300), frame[frame["y"] == "yes"].head(2)])
    return {
        "inf": (balance(np.inf), "column balance has 1 non-finite value(s)"),
        "balance-1e308": (balance(1e308), "column balance must be <= 1000000000 (1 row(s)"),
        "balance-minus-1e308": (balance(-1e308), "column balance must be >= -1000000000"),
        "age-300": (
            head.assign(age=head["age"].where(head.index != 3, 300)),
            "column age must be <= 130",
        ),
        "30-rows": (frame.head(30), "too few rows of class 'yes' to train"),
        "2-positives": (two_yes, "too few rows of class 'yes' to train"),
    }


@pytest.mark.parametrize(
    "case",
    ["inf", "balance-1e308", "balance-minus-1e308", "age-300", "30-rows", "2-positives"],
)
def test_malformed_bank_data_is_refused(tmp_path, bank, case):
    frame, message = _bank_cases(bank)[case]
    path = tmp_path / "bank.csv"
    frame.to_csv(path, sep=";", index=False)
    refused(tmp_path, ["train", "bank", "--data", str(path)], message)


def test_a_bank_csv_with_a_repeated_column_is_refused(tmp_path, bank):
    path = tmp_path / "bank.csv"
    head = bank.head(40)
    head.join(head[["age"]], rsuffix="_again").to_csv(path, sep=";", index=False)
    path.write_text(path.read_text().replace(";age_again", ";age", 1))
    refused(tmp_path, ["train", "bank", "--data", str(path)], "duplicate column name(s) age")


def test_a_scoring_batch_is_held_to_the_training_ranges(bank):
    batch = bank.head(5).assign(balance=[1.0, 2.0, -1e308, 4.0, 5.0])
    with pytest.raises(InputError, match=r"^batch: column balance must be >= -1000000000"):
        predict.validate_batch(batch, BankTrainingConfig(), "batch")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Store", -5, "column Store must be >= 1 (1 row(s) are not, e.g. -5)"),
        ("Store", 0, "column Store must be >= 1"),
        ("Store", 1e19, "column Store must be <= 2147483647 (1 row(s) are not, e.g. 1e+19)"),
        ("Store", 1.5, "column Store must hold integers"),
        ("Sales", 1e20, "column Sales must be <= 1000000000 (1 row(s) are not, e.g. 1e+20)"),
        ("Customers", -3, "column Customers must be >= 0"),
        ("Open", 7, "column Open must be <= 1"),
    ],
)
def test_malformed_sales_are_refused(tmp_path, sales, column, value, message):
    path = tmp_path / "train.csv"
    frame = sales.astype({column: float}) if isinstance(value, float) else sales.copy()
    frame.loc[frame.index[5], column] = value
    frame.to_csv(path, index=False)
    refused(tmp_path, ["train", "forecasting", "--data", str(path)], message)


def test_a_sales_csv_with_two_sales_columns_is_refused(tmp_path, sales):
    path = tmp_path / "train.csv"
    sales.assign(Extra=sales["Sales"] * 2).to_csv(path, index=False)
    path.write_text(path.read_text().replace(",Extra", ",Sales", 1))
    refused(
        tmp_path,
        ["train", "forecasting", "--data", str(path)],
        "duplicate column name(s) Sales",
    )


@pytest.mark.parametrize(("store", "message"), [(-5, "must be >= 1"), (0, "must be >= 1")])
def test_a_store_table_with_impossible_ids_is_refused(tmp_path, sales, store, message):
    """Valid sales (tiny windows), then a store.csv naming store 1 and an impossible one."""
    sales.to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"Store": [1, store], "StoreType": ["a", "b"]}).to_csv(
        tmp_path / "store.csv", index=False
    )
    config = tmp_path / "forecast.yaml"
    config.write_text(yaml.safe_dump({"parameters": {"config": TINY_FORECAST}}))
    args = ["train", "forecasting", "--data", str(tmp_path / "train.csv"),
            "--stores", str(tmp_path / "store.csv"), "--config", str(config)]  # fmt: skip
    refused(tmp_path, args, f"store.csv: column Store {message}")


def test_store_ids_in_the_config_are_positive(tmp_path, sales):
    sales.to_csv(tmp_path / "train.csv", index=False)
    config = tmp_path / "forecast.yaml"
    config.write_text(yaml.safe_dump({"parameters": {"config": {"store_ids": [1, 0]}}}))
    args = ["train", "forecasting", "--data", str(tmp_path / "train.csv"), "--config", str(config)]
    refused(tmp_path, args, "store_ids.1: Input should be greater than or equal to 1")


@pytest.mark.parametrize(
    ("stores", "message"),
    [
        ("-5", "column Store must be >= 1"),
        ("0", "column Store must be >= 1"),
        ("1e19", "column Store must be <= 2147483647"),
        ("1.5", "column Store must hold integers"),
        ("x", "column Store must be numeric"),
    ],
)
def test_calendars_name_impossible_store_ids(tmp_path, stores, message):
    path = tmp_path / "test.csv"
    path.write_text(f"Id,Store,Date\n1,1,2015-08-01\n2,{stores},2015-08-01\n")
    with pytest.raises(InputError, match="^" + str(path)) as error:
        batch.read_calendar(str(path))
    assert message in str(error.value)
