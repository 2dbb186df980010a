"""Data tests: the bundled archive matches its documented shape; bad data is refused clearly."""

import re

import pandas as pd
import pytest

from model_factory.bank import data
from model_factory.bank.config import BankTrainingConfig
from model_factory.errors import InputError

CONFIG = BankTrainingConfig()


@pytest.mark.parametrize(("member", "rows"), [("bank.csv", 4_521), ("bank-full.csv", 45_211)])
def test_bundled_archive(member, rows):
    frame = data.validate(data.load(BankTrainingConfig(bundled_file=member)), CONFIG)
    assert len(frame) == rows
    assert 0.10 < (frame["y"] == "yes").mean() < 0.13  # the documented ~11.7% positives
    assert frame["age"].between(18, 100).all() and frame["campaign"].ge(1).all()


def test_validate_keeps_model_columns_only_and_drops_duration():
    frame = data.validate(data.load(CONFIG), CONFIG)
    assert list(frame.columns) == [*CONFIG.features, "y"]
    assert "duration" not in frame.columns


@pytest.fixture
def raw() -> pd.DataFrame:
    return data.load(CONFIG).head(200)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["balance"]), "missing column(s) balance"),
        (lambda f: f.head(0), "no rows"),
        (lambda f: f.assign(age=f["age"].astype(str) + " years"), "column age must be numeric"),
        (lambda f: f.assign(y="no"), "target y must have two classes"),
        (lambda f: f.assign(y=["yes", "no", "maybe", "no"] * 50), "two classes"),
        (lambda f: f.assign(job=None), "column job has 200 missing value(s): every row"),
        (lambda f: f.assign(y=[None, "no"] * 100), "column y has 100 missing"),
    ],
)
def test_bad_data_is_refused_in_one_line(raw, mutate, message):
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        data.validate(mutate(raw), CONFIG, source="in.csv")
    assert str(caught.value).startswith("in.csv: ") and "\n" not in str(caught.value)


def test_unreadable_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="file is empty"):
        data.load(BankTrainingConfig(data_path=str(empty)))
    with pytest.raises(InputError, match="data file not found"):
        data.load(BankTrainingConfig(data_path=str(tmp_path / "nope.csv")))


def test_a_numeric_feature_without_a_configured_range_is_still_bounded():
    """A table of one's own needs no range per column, yet 1e308 is not a measurement."""
    config = BankTrainingConfig(numeric_features=["age", "temperature"], categorical_features=[])
    frame = pd.DataFrame({"age": [30, 40], "temperature": [21.5, 1e308], "y": ["no", "yes"]})
    with pytest.raises(InputError, match=r"column temperature must be <= 1000000000000"):
        data.require_plausible(frame, config, "t.csv")
    data.require_plausible(frame.assign(temperature=[21.5, -40.0]), config, "t.csv")
