"""Which rides the taxi detector is standardised on, and that the run's metrics say so.

Given real rides (`--data`), no `reference_path` and no production version, the fitted scaler
must come from those rides, never from the simulator's reference window. (Runs labelled by a
production version say so: tests/pipelines/test_taxi_pipeline.py.)
"""

import json

import numpy as np
import pytest
from zenml.client import Client

from model_factory.taxi import data, simulate
from model_factory.taxi.config import TaxiDetectionConfig
from support import clear_stages, run_main

MODEL = "taxi_anomaly_detector"
pytestmark = pytest.mark.slow


def test_real_rides_without_a_reference_fit_the_scaler_themselves(tmp_path):
    clear_stages(MODEL)
    rides = simulate.simulate(600, 0.01, np.random.default_rng(11), "real")
    rides = rides.assign(ride_dist=rides["ride_dist"] * 3, ride_time=rides["ride_time"] * 2)
    rides.drop(columns=simulate.GROUND_TRUTH).to_csv(tmp_path / "rides.csv", index=False)
    db = f"sqlite:///{tmp_path / 'staging.db'}"

    code, _, stderr = run_main(
        "detect", "taxi", "--run-date", "2024-07-01", "--data",
        str(tmp_path / "rides.csv"), "--db", db, "--rides", "600",
        "--metrics-out", str(tmp_path / "metrics.json"),
    )  # fmt: skip
    assert code == 0, stderr[-3000:]
    fitted = json.loads((tmp_path / "metrics.json").read_text())
    assert fitted["reference"] == "run_rides"
    version = Client().get_model_version(MODEL, fitted["model_version"])
    detector = version.get_artifact("taxi_detector").load()
    expected = rides[detector.features].mean().to_numpy()
    assert detector.mean == pytest.approx(expected.tolist(), rel=1e-12)
    assert detector.n_reference == len(rides)


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        ({"data_path": "rides.csv", "reference_path": "window.csv"}, "configured:window.csv"),
        ({"data_path": "rides.csv"}, "run_rides"),
        ({}, "synthetic"),
    ],
)
def test_the_reference_is_named(paths, expected):
    assert data.reference_source(TaxiDetectionConfig(run_date="2024-07-01", **paths)) == expected
