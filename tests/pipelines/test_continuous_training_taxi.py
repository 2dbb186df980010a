"""Drift-triggered retraining of the taxi detector, on real runs of the detection pipeline.

The taxi "model" is a scaler fitted on a reference window plus DBSCAN parameters, scored by F1
on fixed synthetic evaluation rides with planted anomalies. A calm labelled day must not fit
anything; a day of longer rides must fit a version on the production reference plus that day
and offer it for staging, whose decision must follow from the scores it recorded; production
keeps labelling the day.
"""

import datetime as dt
import json

import pytest
from zenml.client import Client

from model_factory.integrations import zenml_stages
from model_factory.paths import default_db_url
from model_factory.taxi import monitor as taxi_monitor
from support import clear_stages, gate_decision, retrained, run_main, version_names

MODEL = "taxi_anomaly_detector"
pytestmark = pytest.mark.slow


def _ok(*args: str) -> str:
    code, out, err = run_main(*args)
    assert code == 0, err[-3000:]
    return out


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """A detector fitted by a first detection run, straight into production (set-up)."""
    metrics = tmp_path_factory.mktemp("taxi-ct") / "metrics.json"
    _ok("detect", "taxi", "--run-date", "2024-06-01", "--metrics-out", str(metrics))
    version = json.loads(metrics.read_text())["model_version"]
    clear_stages(MODEL)
    Client().get_model_version(MODEL, version).set_stage("production", force=True)
    yield version
    clear_stages(MODEL)  # later modules of this process start without a holder


def test_calm_day_fits_nothing(production, tmp_path):
    before = version_names(MODEL)
    out = tmp_path / "metrics.json"
    printed = _ok(
        "retrain-if-drifted", "taxi", "--run-date", "2024-06-01", "--metrics-out", str(out)
    )
    assert "no drift: nothing retrained" in printed
    assert version_names(MODEL) == before and not out.exists()


def test_day_of_longer_rides_fits_a_version_and_the_gate_decides(production, tmp_path):
    longer = tmp_path / "longer.csv"
    _ok("sample-batch", "taxi", "--shift", "--run-date", "2024-06-02", "--out", str(longer))
    _ok("detect", "taxi", "--run-date", "2024-06-02", "--data", str(longer))
    before = version_names(MODEL)
    out = tmp_path / "metrics.json"
    printed = _ok(
        "retrain-if-drifted", "taxi", "--run-date", "2024-06-02", "--metrics-out", str(out)
    )
    assert "retraining" in printed
    metrics, version = retrained(
        MODEL,
        before,
        out,
        f"drift against production version {production} on run date 2024-06-02: ",
    )
    recorded = version.run_metadata["config"]
    assert recorded["retrain"] is True and recorded["run_date"] == "2024-06-02"
    assert metrics["reference_rows"] == 2 * recorded["simulator"]["n_rides"]  # reference + day
    [decision] = zenml_stages.decisions(version)
    assert (decision["stage"], decision["incumbent_version"]) == ("staging", production)
    assert decision["candidate_score"] == pytest.approx(version.run_metadata["metrics"]["f1"])
    assert decision["decision"] == gate_decision(decision) == metrics["promotion"]
    assert str(Client().get_model_version(MODEL, production).stage) == "production"

    day = taxi_monitor.read_day(default_db_url(), dt.date(2024, 6, 2))
    assert set(day["model_version"]) == {production}  # the candidate labelled nothing
    print(f"taxi retrain: {decision['decision']} ({decision['reason']})")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("taxi",), "taxi_anomaly_detector: pass --run-date D"),
        (("taxi", "--run-date", "2024-06-02", "--data", "rides.csv"), "pass --run-date D"),
        (("bank", "--run-date", "2024-06-02"), "pass --data PATH"),
    ],
    ids=["taxi-without-day", "taxi-with-file", "bank-with-day"],
)
def test_each_model_takes_its_own_batch_option(args, message):
    code, _, err = run_main("retrain-if-drifted", *args)
    assert code == 2 and message in err, err
