"""Taxi detector promotion on real detection runs: a new evaluation set re-scores the incumbent.

While no version holds production, each run fits a detector, registers it and offers it for
staging. The first (stages empty) passes on the floor alone; the second is scored on other
seeded evaluation rides, so the staging holder is re-scored on those rides before comparing.
"""

import json

import pytest
import yaml
from sklearn.metrics import f1_score
from zenml.client import Client

from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from model_factory.taxi import model
from model_factory.taxi.simulate import GROUND_TRUTH
from support import clear_stages, run_main

MODEL = "taxi_anomaly_detector"


def detect(tmp_path, run_date: str, seed: int) -> dict:
    """`model-factory detect taxi-anomalies` in this process (tests/pipelines/test_taxi_pipeline.py
    runs it in a new interpreter): what matters here is the versions and decisions it leaves."""
    raw = yaml.safe_load((config_dir() / "taxi_detection.yaml").read_text())
    raw["parameters"]["config"]["seed"] = seed
    config, out = tmp_path / f"{seed}.yaml", tmp_path / f"{seed}.json"
    config.write_text(yaml.safe_dump(raw))
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    code, _, err = run_main("detect", "taxi", "--run-date", run_date, "--config",
                            str(config), "--db", db, "--metrics-out", str(out))  # fmt: skip
    assert code == 0, err[-3000:]
    return json.loads(out.read_text())


@pytest.mark.slow
def test_fitted_detectors_go_to_staging_and_the_holder_is_rescored(tmp_path):
    clear_stages(MODEL)
    first = detect(tmp_path, "2024-06-01", seed=42)
    assert first["promotion"] == "promoted"
    client = Client()
    v1 = client.get_model_version(MODEL, first["model_version"])
    assert str(v1.stage) == "staging"
    [decision] = zenml_stages.decisions(v1)
    assert (decision["incumbent_version"], decision["comparison"]) == (None, None)

    second = detect(tmp_path, "2024-06-02", seed=7)
    v2 = client.get_model_version(MODEL, second["model_version"])
    [decision] = zenml_stages.decisions(v2)
    assert (decision["comparison"], decision["incumbent_version"]) == ("rescore", v1.name)
    assert decision["decision"] == second["promotion"]
    assert str(client.get_model_version(MODEL, v1.name).stage) == (
        "archived" if second["promotion"] == "promoted" else "staging"
    )
    rides = v2.get_artifact("evaluation_rides").load()
    labels = model.label(rides, v1.get_artifact("taxi_detector").load())
    by_hand = f1_score(labels[GROUND_TRUTH], labels["is_anomaly"])
    assert decision["incumbent_score"] == pytest.approx(by_hand)
    assert decision["candidate_score"] == pytest.approx(v2.run_metadata["metrics"]["f1"])
