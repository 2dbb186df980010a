"""The rides contract and the run date: each violation is one InputError line, nothing else."""

import numpy as np
import pandas as pd
import pytest

from model_factory.config import load_run_config
from model_factory.errors import InputError
from model_factory.taxi import data
from model_factory.taxi.config import TaxiDetectionConfig, parse_run_date
from support import PROJECT_ROOT


def rides(**columns) -> pd.DataFrame:
    base = {"ride_id": ["a", "b", "c"], "ride_dist": [1.0, 2.5, 4.0], "ride_time": [3.0, 6.0, 9.0]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (rides().drop(columns="ride_time"), "missing column(s) ride_time"),
        (rides(ride_dist=[1.0, 0.0, 2.0]), "ride_dist must be > 0 (1 row(s)"),
        (rides(ride_time=[1.0, 2.0, -3.0]), "ride_time must be > 0"),
        (rides(ride_id=["a", "b", "a"]), "duplicate ride_id"),
        (rides(ride_id=["a", None, "c"]), "ride_id has 1 missing"),
        (rides(ride_dist=[1.0, np.nan, 2.0]), "ride_dist has 1 missing"),
        (rides(ride_dist=[1.0, np.inf, 2.0]), "ride_dist has 1 non-finite"),
        (rides(ride_time=["1", "x", "2"]), "ride_time must be numeric"),
        (rides(ride_id=["a", " ", "c"]), "ride_id must be 1 to 255 characters"),
        (rides(is_planted_anomaly=[0, 1, 2]), "is_planted_anomaly has unexpected value"),
        (rides().iloc[:0], "no rows"),
    ],
)
def test_contract_violations_are_input_errors(frame, message):
    with pytest.raises(InputError, match=r"^rides: ") as error:
        data.validate_rides(frame, "rides")
    assert message in str(error.value)


def test_valid_rides_get_derived_speed_and_lose_other_columns():
    valid = data.validate_rides(rides(ride_speed=[999.0] * 3, note=["x"] * 3))
    assert list(valid.columns) == ["ride_id", "ride_dist", "ride_time", "ride_speed"]
    assert valid["ride_speed"].tolist() == pytest.approx([20.0, 25.0, 26.6666667])


def test_csv_ids_stay_text_and_parquet_reads(tmp_path):
    csv = tmp_path / "rides.csv"
    csv.write_text("ride_id,ride_dist,ride_time\n007,1.5,4\n010,2,5\n")
    assert data.validate_rides(data.read_rides(str(csv)))["ride_id"].tolist() == ["007", "010"]
    parquet = tmp_path / "rides.parquet"
    rides(ride_id=[1, 2, 3]).to_parquet(parquet)
    assert data.validate_rides(data.read_rides(str(parquet)))["ride_id"].tolist() == ["1", "2", "3"]


@pytest.mark.parametrize("content", ["", "ride_id,ride_dist,ride_time\n"])
def test_empty_files_are_input_errors(tmp_path, content):
    path = tmp_path / "rides.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=r"empty|no rows"):
        data.validate_rides(data.read_rides(str(path)), str(path))


@pytest.mark.parametrize("value", ["2024-02-30", "20240601", "2024-6-1", "2024-06-01T00:00", ""])
def test_bad_run_dates_are_input_errors(value):
    with pytest.raises(InputError, match="run date"):
        parse_run_date(value)


def test_run_date_parses_and_is_checked_in_config(tmp_path):
    assert parse_run_date("2024-02-29").isoformat() == "2024-02-29"
    path = tmp_path / "run.yaml"
    path.write_text("parameters:\n  config:\n    run_date: '2024-13-01'\n")
    with pytest.raises(InputError, match=r"parameters\.config\.run_date: .*run date"):
        load_run_config(path, TaxiDetectionConfig)


@pytest.mark.parametrize(
    ("detector", "message"),
    [
        ("{features: [ride_dist, ride_dist]}", "without repeats"),
        ("{features: [fare]}", "features.0"),
        ("{eps: 0}", "eps"),
        ("{min_sample: 5}", "min_sample"),
    ],
)
def test_detector_config_is_strict(tmp_path, detector, message):
    path = tmp_path / "run.yaml"
    path.write_text(
        f"parameters:\n  config:\n    run_date: '2024-06-01'\n    detector: {detector}\n"
    )
    with pytest.raises(InputError, match=message):
        load_run_config(path, TaxiDetectionConfig)


def test_shipped_run_config_is_valid():
    shipped = PROJECT_ROOT / "zenml_config" / "taxi_detection.yaml"
    settings = load_run_config(shipped, TaxiDetectionConfig)
    assert settings.parameters.config == TaxiDetectionConfig(run_date="2024-06-01")
