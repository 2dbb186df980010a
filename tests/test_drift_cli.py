"""`model-factory monitor ...` end to end on a tiny trained model: exit 0 on a fresh batch,
4 on a shifted one, 2 on an empty or mismatched batch; the version records each run."""

import json

import pandas as pd
import pytest
import yaml

pytestmark = [pytest.mark.slow]

TINY_BANK = {"search": {"n_candidates": 2, "cv_folds": 2, "min_rows": 600, "n_jobs": 1}}


def _to_production(model: str) -> None:
    """Set up: the latest version holds production (promotion itself is tested elsewhere)."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    Client().get_model_version(model, ModelStages.LATEST).set_stage("production", force=True)


def _drift_checks(model: str) -> dict:
    from zenml.client import Client
    from zenml.enums import ModelStages

    version = Client().get_model_version(model, ModelStages.PRODUCTION)
    return version.run_metadata.get("drift_checks") or {}


def test_taxi_monitor_exit_codes(cli, tmp_path):
    assert cli("detect", "taxi-anomalies", "--run-date", "2024-06-01").returncode == 0
    _to_production("taxi_anomaly_detector")
    metrics = tmp_path / "drift.json"
    calm = cli(
        "monitor", "taxi-anomalies", "--run-date", "2024-06-01", "--metrics-out", str(metrics)
    )
    assert calm.returncode == 0, calm.stderr
    assert json.loads(metrics.read_text())["drifted"] is False

    longer = tmp_path / "longer.csv"
    made = cli(
        "sample-batch", "taxi-rides", "--shift", "--run-date", "2024-06-02", "--out", str(longer)
    )
    assert made.returncode == 0, made.stderr
    assert (
        cli(
            "detect", "taxi-anomalies", "--run-date", "2024-06-02", "--data", str(longer)
        ).returncode
        == 0
    )
    drift = cli(
        "monitor", "taxi-anomalies", "--run-date", "2024-06-02", "--metrics-out", str(metrics)
    )
    assert drift.returncode == 4, drift.stderr
    assert drift.stderr.startswith("drift: 2 check(s): ride_dist, ride_time")
    assert json.loads(metrics.read_text())["drifted_checks"] == ["ride_dist", "ride_time"]
    assert [s["drifted"] for s in _drift_checks("taxi_anomaly_detector").values()][-2:] == [
        False,
        True,
    ]

    empty = cli("monitor", "taxi-anomalies", "--run-date", "2024-07-09")
    assert empty.returncode == 2 and "has no rows for 2024-07-09" in empty.stderr


def test_bank_monitor_exit_codes(cli, tmp_path):
    config = tmp_path / "bank.yaml"
    config.write_text(
        yaml.safe_dump(
            {"enable_cache": False, "parameters": {"config": TINY_BANK | {"promote": False}}}
        )
    )
    assert cli("train", "bank-marketing", "--config", str(config)).returncode == 0
    _to_production("bank_marketing_classifier")
    fresh, shifted = tmp_path / "fresh.csv", tmp_path / "shifted.csv"
    assert cli("sample-batch", "bank-marketing", "--out", str(fresh)).returncode == 0
    assert cli("sample-batch", "bank-marketing", "--shift", "--out", str(shifted)).returncode == 0

    calm = cli("monitor", "bank-marketing", "--data", str(fresh))
    assert calm.returncode == 0, calm.stderr
    drift = cli("monitor", "bank-marketing", "--data", str(shifted))
    assert drift.returncode == 4, drift.stderr
    assert (
        drift.stderr.startswith("drift: ") and "balance" in drift.stderr and "job" in drift.stderr
    )

    frame = pd.read_csv(fresh, sep=";")
    frame.drop(columns="balance").to_csv(tmp_path / "no_balance.csv", sep=";", index=False)
    frame.iloc[:0].to_csv(tmp_path / "empty.csv", sep=";", index=False)
    for name, message in [
        ("no_balance.csv", "missing column(s) balance"),
        ("empty.csv", "no rows"),
    ]:
        bad = cli("monitor", "bank-marketing", "--data", str(tmp_path / name))
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
