"""The taxi detection pipeline end to end on the real ZenML local stack.

`model-factory detect taxi` and `zenml pipeline run` as a user types them (later detections
through the CLI's entry point in this process: the first pays a new interpreter's imports): rows
in the staging DB, metrics JSON, plot, model versions (fit-and-register until a version is
production, then the production detector without a new version), on SQLite and on PostgreSQL.
"""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from model_factory import sql
from model_factory.taxi import sink
from model_factory.taxi.config import SimulatorConfig
from model_factory.taxi.evaluate import plot_path
from model_factory.taxi.simulate import GROUND_TRUTH, rides_for_day
from support import PROJECT_ROOT, clear_stages

pytestmark = [pytest.mark.slow]
MODEL = "taxi_anomaly_detector"


def detect(cli, run_date: str, db: str, metrics: Path) -> dict:
    done = cli("detect", "taxi", "--run-date", run_date, "--db", db, "--metrics-out", str(metrics))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(metrics.read_text())


def stored(url: str, run_date: str):
    engine = sql.engine_for(url)
    try:
        return sink.read_day(engine, date.fromisoformat(run_date))
    finally:
        engine.dispose()


def version_numbers() -> list[int]:
    from zenml.client import Client

    return sorted(v.number for v in Client().list_model_versions(model=MODEL, size=100).items)


def zenml_pipeline_run(db: str) -> None:
    """`zenml pipeline run` with the shipped config, the DB URL from the environment."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "zenml"), "pipeline", "run",
         "pipelines.taxi_detection.taxi_detection", "-c", "zenml_config/taxi_detection.yaml"],
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
        env={**os.environ, "MODEL_FACTORY_DB_URL": db},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def test_pipeline_flags_planted_rides_reruns_idempotently_then_uses_production(
    cli, cli_in_process, tmp_path
):
    db = f"sqlite:///{tmp_path / 'staging.db'}"
    day = "2024-06-01"  # the shipped config's run date
    clear_stages(MODEL)  # "no production version yet", whatever other tests of this process did
    versions_before = version_numbers()

    zenml_pipeline_run(db)
    rows = stored(db, day)
    assert len(rows) == 10_000 and GROUND_TRUTH not in rows.columns
    truth = rides_for_day(SimulatorConfig(), 42, date.fromisoformat(day))
    planted = set(truth.loc[truth[GROUND_TRUTH], "ride_id"])
    flagged = set(rows.loc[rows["is_anomaly"], "ride_id"])
    assert planted <= flagged and len(flagged) < 1.2 * len(planted)
    with Image.open(plot_path(day)) as image:
        assert image.format == "PNG" and image.width > 400
    fitted = rows["model_version"].iloc[0]
    assert rows["model_version"].eq(fitted).all()
    from zenml.client import Client

    # ZenML recorded the environment's packages (it needs uv or pip in the environment).
    client = Client()
    [run] = client.list_pipeline_runs(pipeline="taxi_detection", sort_by="desc:created", size=1)
    run = client.zen_store.get_run(run.id, include_python_packages=True)
    assert "scikit-learn==" in run.client_environment["python_packages"]

    # No production version yet: the same date through the CLI fits and registers another
    # version, and the date's rows are replaced, not appended.
    metrics = detect(cli, day, db, tmp_path / "metrics.json")
    assert metrics["n_rides"] == metrics["rows_written"] == 10_000
    assert metrics["anomaly_rate"] == metrics["n_anomalies"] / metrics["n_rides"]
    assert metrics["f1"] > 0.9 and metrics["db_url"] == db
    assert metrics["reference"] == "synthetic"  # synthetic rides: the synthetic window
    again = stored(db, day)
    assert len(again) == 10_000 and set(again["ride_id"]) == set(rows["ride_id"])
    assert (again["scored_at"] > rows["scored_at"].max()).all()
    assert int(again["is_anomaly"].sum()) == metrics["n_anomalies"]
    assert again["model_version"].eq(metrics["model_version"]).all()
    refitted = metrics["model_version"]
    assert version_numbers() == [*versions_before, int(fitted), int(refitted)]
    # Both fitted versions were offered for staging; the second scored the same F1 on the same
    # evaluation rides as whichever version holds staging, so it cannot beat it.
    assert metrics["promotion"] == "rejected"

    Client().get_model_version(MODEL, fitted).set_stage("production", force=True)
    other_day = detect(cli_in_process, "2024-06-02", db, tmp_path / "other_day.json")
    assert other_day["model_version"] == fitted
    assert other_day["reference"] == f"production:{fitted}"
    assert version_numbers()[-1] == int(refitted)  # no version was created
    assert stored(db, "2024-06-02")["model_version"].eq(fitted).all()
    assert len(stored(db, day)) == 10_000  # the other date is untouched


@pytest.mark.postgres
def test_detect_writes_to_postgres(cli_in_process, tmp_path, postgres_url):
    metrics = detect(cli_in_process, "2024-07-03", postgres_url, tmp_path / "metrics.json")
    rows = stored(postgres_url, "2024-07-03")
    assert len(rows) == metrics["rows_written"] == 10_000
    assert int(rows["is_anomaly"].sum()) == metrics["n_anomalies"]
