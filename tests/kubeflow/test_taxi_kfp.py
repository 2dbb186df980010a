"""The taxi KFP pipeline end to end with kfp.local, and parity with ZenML on the same config.

Both runs label one run date with a detector fitted on the same reference window and write the
labels to their own SQLite staging DB: the rows and the metrics must be identical. ZenML runs in
a subprocess, side by side with the KFP run, on a ZenML store of its own, so it always fits a
detector (a production version left by another test of this process would be used instead).
The KFP detector and its evaluation F1 are also checked against the core called directly.
"""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from kfp import local

from components import PIPELINES
from model_factory import provenance, sql
from model_factory.config import load_run_config
from model_factory.integrations.kubeflow.compiler import pipeline_inputs
from model_factory.taxi import data, evaluate, model, simulate, sink
from model_factory.taxi.config import TaxiDetectionConfig
from model_factory.taxi.model import TaxiDetector
from support import PROJECT_ROOT

RUN_DATE = "2024-06-03"
TASKS = {"resolve-config", "ingest", "validate", "fit-detector", "label", "write-labels",
         "alert-run-failed"}  # fmt: skip
SAME = ["run_date", "n_rides", "n_anomalies", "anomaly_rate", "n_clusters", "f1", "precision",
        "recall", "n_planted", "rows_written", "table"]  # fmt: skip


def _rows(url: str):
    engine = sql.engine_for(url)
    try:
        return sink.read_day(engine, date.fromisoformat(RUN_DATE))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kfp_local_run_writes_the_same_labels_and_metrics_as_zenml(tmp_path, monkeypatch):
    raw = yaml.safe_load((PROJECT_ROOT / "zenml_config/taxi_detection.yaml").read_text())
    raw["parameters"]["config"]["run_date"] = RUN_DATE
    config_path = tmp_path / "taxi.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    zenml_db, kfp_db = (f"sqlite:///{tmp_path / name}" for name in ("zenml.db", "kfp.db"))
    zenml_env = {
        **os.environ,
        "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
        "MODEL_FACTORY_HOME": str(tmp_path / "zenml_outputs"),
    }
    zenml_run = subprocess.Popen(
        [sys.executable, "-m", "model_factory", "detect", "taxi", "--run-date",
         RUN_DATE, "--config", str(config_path), "--db", zenml_db,
         "--metrics-out", str(tmp_path / "zenml.json")],
        cwd=PROJECT_ROOT, env=zenml_env, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    monkeypatch.setenv("MODEL_FACTORY_DB_URL", kfp_db)  # what the Secret gives on a cluster
    entry = PIPELINES["taxi_detection"]
    config = load_run_config(config_path, TaxiDetectionConfig).parameters.config
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "kfp"))
    entry.build(config)(**pipeline_inputs(entry, config))
    _, zenml_errors = zenml_run.communicate(timeout=900)
    assert zenml_run.returncode == 0, zenml_errors[-2000:]

    (run_dir,) = (tmp_path / "kfp").iterdir()
    assert {p.name for p in run_dir.iterdir()} == TASKS
    metrics = json.loads((run_dir / "write-labels/metrics_json").read_text())
    fitted = json.loads((run_dir / "fit-detector/executor_output.json").read_text())["artifacts"]
    detector = fitted["detector"]["artifacts"][0]["metadata"]
    assert metrics["model_version"] == detector["version"]
    assert detector["version"].startswith("kfp-") and len(detector["version"]) <= 64
    assert metrics["db_url"] == kfp_db and metrics["n_rides"] == config.simulator.n_rides
    assert 0.9 < metrics["f1"] <= 1.0
    written = json.loads((run_dir / "write-labels/executor_output.json").read_text())
    logged = written["artifacts"]["metrics"]["artifacts"][0]["metadata"]
    assert logged == pytest.approx({k: v for k, v in metrics.items() if k in logged})
    assert "data:image/png;base64," in (run_dir / "label/anomaly_plot").read_text()

    zenml_metrics = json.loads((tmp_path / "zenml.json").read_text())
    assert {k: metrics[k] for k in SAME} == {k: zenml_metrics[k] for k in SAME}
    kfp_rows, zenml_rows = _rows(kfp_db), _rows(zenml_db)
    assert kfp_rows[sink.WRITTEN].equals(zenml_rows[sink.WRITTEN])
    assert kfp_rows["model_version"].eq(detector["version"]).all()

    # The detector and its evaluation are the core's on the same reference and evaluation rides.
    reference = data.validate_rides(data.load_reference(config), "reference")
    expected = model.fit(reference, config.detector)
    stored = TaxiDetector.model_validate_json((run_dir / "fit-detector/detector").read_text())
    assert stored == expected.model_copy(update={"version": detector["version"]})
    evaluation = simulate.evaluation_rides(config.simulator, config.seed)
    logged = fitted["evaluation"]["artifacts"][0]["metadata"]
    assert logged == evaluate.score(expected, evaluation)
    assert detector["data_fingerprint"] == provenance.data_fingerprint(reference)


def _run_registered(config: TaxiDetectionConfig, root: Path) -> tuple[Path, dict, dict]:
    """The pipeline compiled with `config`'s ZenML server through kfp.local: its run folder,
    the detector task's output metadata and the written metrics."""
    entry = PIPELINES["taxi_detection"]
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    entry.build(config)(**pipeline_inputs(entry, config))
    (run_dir,) = root.iterdir()
    chosen = json.loads((run_dir / "registered-detector/executor_output.json").read_text())
    detector = chosen["artifacts"]["detector"]["artifacts"][0]["metadata"]
    return run_dir, detector, json.loads((run_dir / "write-labels/metrics_json").read_text())


@pytest.mark.slow
def test_with_a_zenml_server_the_production_detector_labels_the_day(tmp_path, monkeypatch):
    """Compiled with this process's ZenML store as its server (`kubeflow.zenml_url`), the run
    labels with the version in production instead of fitting: its id in the detector's
    metadata, its name on every row, no new version. That version was fitted and registered by
    what the run's detector task does when production is empty (called here, in-process)."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    from model_factory.config import KubeflowRegistration
    from model_factory.integrations.kubeflow.registry import KfpRun, taxi_detector
    from model_factory.taxi.config import SimulatorConfig
    from model_factory.use_cases import TAXI
    from support import clear_stages

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    db = f"sqlite:///{tmp_path / 'kfp.db'}"
    monkeypatch.setenv("MODEL_FACTORY_DB_URL", db)  # what the Secret gives on a cluster
    clear_stages(TAXI.model_name)  # other tests of this process may have staged versions
    config = TaxiDetectionConfig(
        run_date=RUN_DATE,
        simulator=SimulatorConfig(n_rides=2_000),
        promote=False,
        kubeflow=KubeflowRegistration(zenml_url=Client().zen_store.url),
    )

    detector, fitted = taxi_detector(
        KfpRun("run-0", "fit", None), config.model_dump_json(), promote=False
    )
    assert fitted["source"] == "fitted" and fitted["reference"] == "synthetic"
    version = Client().get_model_version(TAXI.model_name, fitted["version"])
    assert str(version.id) == fitted["model_version_id"] and detector.version == version.name
    assert version.run_metadata["trained_by"] == "kubeflow"
    assert version.run_metadata["metrics"] == fitted["scores"]
    assert version.get_artifact(TAXI.model_artifact).load() == detector
    version.set_stage(ModelStages.PRODUCTION, force=True)
    count = len(Client().list_model_versions(model=TAXI.model_name, size=1000))

    entry = PIPELINES["taxi_detection"]
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "kfp"))
    entry.build(config)(**pipeline_inputs(entry, config))
    (run_dir,) = (tmp_path / "kfp").iterdir()
    assert {p.name for p in run_dir.iterdir()} == TASKS - {"fit-detector"} | {"registered-detector"}
    chosen = json.loads((run_dir / "registered-detector/executor_output.json").read_text())
    used = chosen["artifacts"]["detector"]["artifacts"][0]["metadata"]
    metrics = json.loads((run_dir / "write-labels/metrics_json").read_text())
    assert used["source"] == "production" and used["model_version_id"] == str(version.id)
    assert used["version"] == metrics["model_version"] == version.name
    assert metrics["reference"] == f"production:{version.name}"
    assert _rows(db)["model_version"].eq(version.name).all()
    assert len(Client().list_model_versions(model=TAXI.model_name, size=1000)) == count
    version.set_stage(ModelStages.ARCHIVED, force=True)  # leave no production to later tests
