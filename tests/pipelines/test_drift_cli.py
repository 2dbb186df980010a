"""`model-factory monitor ...` end to end on a tiny trained model: exit 0 on a fresh batch,
4 on a shifted one, 2 on an empty or mismatched batch; the version records each run.

Each use case trains once per module. Every command runs in this process through the CLI's
entry point (`support.run_main`): the same code and exit-code mapping a user's
`model-factory` process runs, without a new interpreter's seconds of imports per command.
"""

import json

import pandas as pd
import pytest
import yaml

from support import TINY_BANK, run_main

pytestmark = [pytest.mark.slow]


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


def _ok(*args: str) -> str:
    code, out, err = run_main(*args)
    assert code == 0, err[-3000:]
    return out


@pytest.fixture(scope="module")
def taxi_production() -> None:
    _ok("detect", "taxi", "--run-date", "2024-06-01")
    _to_production("taxi_anomaly_detector")


@pytest.fixture(scope="module")
def bank_batches(tmp_path_factory) -> dict:
    """A tiny classifier in production and a fresh and a shifted batch of customers."""
    folder = tmp_path_factory.mktemp("bank-drift")
    config = folder / "bank.yaml"
    config.write_text(
        yaml.safe_dump(
            {"enable_cache": False, "parameters": {"config": TINY_BANK | {"promote": False}}}
        )
    )
    _ok("train", "bank", "--config", str(config))
    _to_production("bank_marketing_classifier")
    fresh, shifted = folder / "fresh.csv", folder / "shifted.csv"
    _ok("sample-batch", "bank", "--out", str(fresh))
    _ok("sample-batch", "bank", "--shift", "--out", str(shifted))
    return {"folder": folder, "fresh": fresh, "shifted": shifted}


def test_taxi_calm_day_exits_0(taxi_production, tmp_path):
    metrics = tmp_path / "drift.json"
    code, out, err = run_main(
        "monitor", "taxi", "--run-date", "2024-06-01", "--metrics-out", str(metrics)
    )
    assert code == 0, err[-3000:]
    assert "no drift" in out
    assert json.loads(metrics.read_text())["drifted"] is False
    assert list(_drift_checks("taxi_anomaly_detector").values())[-1]["drifted"] is False


def test_taxi_longer_rides_exit_4(taxi_production, tmp_path):
    longer = tmp_path / "longer.csv"
    _ok("sample-batch", "taxi", "--shift", "--run-date", "2024-06-02", "--out", str(longer))
    _ok("detect", "taxi", "--run-date", "2024-06-02", "--data", str(longer))
    metrics = tmp_path / "drift.json"
    code, _, err = run_main(
        "monitor", "taxi", "--run-date", "2024-06-02", "--metrics-out", str(metrics)
    )
    assert code == 4, err[-3000:]
    assert err.startswith("drift: 2 check(s): ride_dist, ride_time")
    assert json.loads(metrics.read_text())["drifted_checks"] == ["ride_dist", "ride_time"]
    assert list(_drift_checks("taxi_anomaly_detector").values())[-1]["drifted"] is True


def test_taxi_day_without_rides_exits_2(taxi_production):
    code, _, err = run_main("monitor", "taxi", "--run-date", "2024-07-09")
    assert code == 2 and "has no rows for 2024-07-09" in err


def test_bank_fresh_batch_exits_0_and_shifted_exits_4(bank_batches):
    code, out, err = run_main("monitor", "bank", "--data", str(bank_batches["fresh"]))
    assert code == 0, err[-3000:]
    assert "no drift" in out
    code, _, err = run_main("monitor", "bank", "--data", str(bank_batches["shifted"]))
    assert code == 4, err[-3000:]
    assert err.startswith("drift: ") and "balance" in err and "job" in err
    assert [s["drifted"] for s in _drift_checks("bank_marketing_classifier").values()][-2:] == [
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda frame: frame.drop(columns="balance"), "missing column(s) balance"),
        (lambda frame: frame.iloc[:0], "no rows"),
    ],
    ids=["no-balance", "empty"],
)
def test_bank_mismatched_or_empty_batch_exits_2(bank_batches, tmp_path, change, message):
    bad = tmp_path / "bad.csv"
    change(pd.read_csv(bank_batches["fresh"], sep=";")).to_csv(bad, sep=";", index=False)
    code, _, err = run_main("monitor", "bank", "--data", str(bad))
    assert code == 2 and message in err, err
