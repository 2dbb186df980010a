"""`model-factory detect taxi --rides N`: a bigger synthetic day through the pipeline.

The day, its labels in the staging DB and the metrics have N rides; the detector artifact (JSON)
carries the scale-aware rule, so a production version labels any day size the same way.
"""

import json
import os
from datetime import date
from pathlib import Path

import pytest
from zenml.client import Client

from model_factory import sql
from model_factory.taxi import sink
from model_factory.taxi.model import NOISE

pytestmark = [pytest.mark.slow]
DAY = "2024-08-01"  # no other test writes this date


def test_rides_option_sizes_the_day_and_the_artifact_carries_the_rule(cli, tmp_path):
    db, metrics_path = f"sqlite:///{tmp_path / 'staging.db'}", tmp_path / "metrics.json"
    done = cli("detect", "taxi", "--run-date", DAY, "--rides", "30000", "--db", db,
               "--metrics-out", str(metrics_path))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads(metrics_path.read_text())
    assert metrics["n_rides"] == metrics["rows_written"] == 30_000
    assert metrics["n_planted"] == 300 and metrics["recall"] == 1.0 and metrics["f1"] > 0.95

    engine = sql.engine_for(db)
    rows = sink.read_day(engine, date.fromisoformat(DAY))
    engine.dispose()
    assert len(rows) == 30_000 and int(rows["is_anomaly"].sum()) == metrics["n_anomalies"]
    assert rows["is_anomaly"].equals(rows["cluster"] == NOISE)  # the raw label is kept

    # Whichever version labelled the day (fitted now, or another test's production version).
    artifact = Client().get_model_version("taxi_anomaly_detector", metrics["model_version"])
    artifact = artifact.get_model_artifact("taxi_detector")
    files = [Path(root) / f for root, _, names in os.walk(artifact.uri) for f in names]
    stored = [json.loads(f.read_text()) for f in files if f.suffix == ".json"]
    assert [d["min_samples_fraction"] for d in stored] == [0.001]
    assert artifact.load().min_samples_for(metrics["n_rides"]) == 30
