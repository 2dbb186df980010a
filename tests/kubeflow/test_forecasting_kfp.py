"""The forecasting KFP pipeline end to end with kfp.local (ParallelFor over store groups, fan-in
with dsl.Collected), and parity with the single-process ZenML run on the same config.

Four synthetic stores in two groups, a small interval sample: the pooled metrics must match the
ZenML run's to floating-point summation order, and the per-store choices and the merged model
must be the ZenML run's exactly. ZenML runs in a subprocess, side by side with the KFP run,
which runs as a user tries a package: `submit forecasting_training --local` of the pipeline
compiled with this process's ZenML store as its server, so its last task registers the merged
model (which must record what the ZenML run's version records) and offers it for staging; the
ZenML run, promotion off, competes for no stage.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from zenml.client import Client

from components import PIPELINES
from components.platform import PROJECT_IMAGE
from model_factory.config import load_run_config
from model_factory.forecasting import forecaster
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.integrations import zenml_stages
from model_factory.integrations.kubeflow.compiler import compile_pipeline
from support import PROJECT_ROOT, clear_stages, gate_decision, run_main

SMALL = {
    "synthetic": {"n_stores": 4, "n_days": 500, "start_date": "2013-01-01", "seed": 7},
    "prophet": {"uncertainty_samples": 100},
    "n_jobs": 1,  # per process: the ZenML run and the KFP tasks share the machine
    "kubeflow": {"store_groups": 2, "parallelism": 2},
    "promote": False,  # the ZenML run's: the KFP run's version alone is offered for staging
}
MODEL, NAME, UI = "store_sales_forecaster", "forecasting_training", "http://kfp.test:8080"
TASKS = {"resolve-config", "ingest", "validate", "store-groups", "evaluate", "merge-models",
         "register", "alert-run-failed"}  # fmt: skip


def _small_config(folder: Path) -> Path:
    raw = yaml.safe_load((PROJECT_ROOT / "zenml_config/forecasting_training.yaml").read_text())
    for key, value in SMALL.items():
        section = raw["parameters"]["config"]
        section[key] = {**section[key], **value} if isinstance(value, dict) else value
    path = folder / "forecast.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _outputs(task_dir: Path) -> dict:
    return json.loads((task_dir / "executor_output.json").read_text())


@pytest.mark.slow
def test_fan_out_over_store_groups_matches_the_single_process_zenml_run(tmp_path, monkeypatch):
    config_path = _small_config(tmp_path)
    zenml_home = tmp_path / "zenml_outputs"
    zenml_run = subprocess.Popen(
        [sys.executable, "-m", "model_factory", "train", "forecasting",
         "--config", str(config_path), "--metrics-out", str(tmp_path / "zenml.json")],
        cwd=PROJECT_ROOT, env={**os.environ, "MODEL_FACTORY_HOME": str(zenml_home)},
        text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    clear_stages(MODEL)  # other tests of this process may have staged versions
    config = load_run_config(config_path, ForecastTrainingConfig).parameters.config
    server = {"zenml_url": Client().zen_store.url, "ui_url": UI}
    registering = config.model_copy(
        update={"promote": True, "kubeflow": config.kubeflow.model_copy(update=server)}
    )
    build = tmp_path / "build"
    build.mkdir()
    compile_pipeline(PIPELINES[NAME], registering, PROJECT_IMAGE, build / f"{NAME}.yaml")
    code, out, err = run_main(
        "submit", NAME, "--local", "--dir", str(build), "--pipeline-root", str(tmp_path / "kfp")
    )
    _, zenml_errors = zenml_run.communicate(timeout=900)
    assert code == 0, (out + err)[-3000:]
    assert zenml_run.returncode == 0, zenml_errors[-2000:]

    (run_dir,) = (tmp_path / "kfp").iterdir()
    loops = sorted(p for p in run_dir.iterdir() if p.name not in TASKS)
    assert {p.name for p in run_dir.iterdir()} - {p.name for p in loops} == TASKS
    assert [p.name.rsplit("-", 1)[-1] for p in loops] == ["0", "1"]  # one iteration per group
    groups = [
        _outputs(loop / "backtest-group")["artifacts"]["evaluated_forecaster"]["artifacts"][0][
            "metadata"
        ]["stores"]
        for loop in loops
    ]
    assert sorted(map(sorted, groups)) == [[1, 2], [3, 4]]
    for loop in loops:
        assert {p.name for p in loop.iterdir()} == {"backtest-group", "refit-group"}

    metrics = json.loads((run_dir / "evaluate/metrics_json").read_text())
    zenml_metrics = json.loads((tmp_path / "zenml.json").read_text())
    assert set(metrics) == set(zenml_metrics) - {"model_version", "promotion"}
    assert (metrics["n_stores"], metrics["n_rows"]) == (4, zenml_metrics["n_rows"])
    for name, value in metrics.items():
        assert value == pytest.approx(zenml_metrics[name], rel=1e-12, abs=0), name
    logged = _outputs(run_dir / "evaluate")["artifacts"]["metrics"]["artifacts"][0]["metadata"]
    assert logged == pytest.approx(metrics)  # the KFP UI's scalar metrics

    per_store = pd.read_parquet(run_dir / "evaluate/store_metrics")
    zenml_per_store = pd.read_csv(zenml_home / "forecasting/store_metrics.csv")
    assert per_store["candidate"].tolist() == zenml_per_store["candidate"].tolist()
    pd.testing.assert_frame_equal(per_store, zenml_per_store, check_dtype=False, rtol=1e-9)
    assert "data:image/png;base64," in (run_dir / "evaluate/forecast_plot").read_text()

    version = Client().get_model_version("store_sales_forecaster", zenml_metrics["model_version"])
    recorded = version.run_metadata
    record = _outputs(run_dir / "evaluate")["artifacts"]["metrics_json"]["artifacts"][0]
    for key in ("data_fingerprint", "training_cutoff", "evaluation_cutoff", "holdout_start"):
        assert record["metadata"][key] == recorded[key], key
    assert record["metadata"]["candidates"] == pytest.approx(recorded["candidates"])

    merged = forecaster.load(run_dir / "merge-models/store_forecaster")
    registered_model = forecaster.load(Path(version.get_model_artifact("store_forecaster").uri))
    assert merged.to_files() == registered_model.to_files()  # the same models, fitted on all data

    # The KFP run's version: what the ZenML run's records, where it came from, the same model.
    registered = _outputs(run_dir / "register")["parameterValues"]["Output"]
    ours = Client().get_model_version(MODEL, registered["model_version"])
    theirs = ours.run_metadata
    assert theirs["metrics"] == pytest.approx(recorded["metrics"], rel=1e-12, abs=0)
    for key in ("data_fingerprint", "holdout", "training_cutoff", "evaluation_cutoff",
                "holdout_start", "git_commit"):  # fmt: skip
        assert theirs[key] == recorded[key], key
    assert theirs["candidates"] == pytest.approx(recorded["candidates"])
    assert theirs["kfp_run_name"] == run_dir.name and theirs["trained_by"] == "kubeflow"
    assert theirs["kfp_run_url"] == f"{UI}/#/runs/details/{theirs['kfp_run_id']}"
    loaded = ours.get_model_artifact("store_forecaster").load()
    assert loaded.to_files() == registered_model.to_files()
    profile = ours.get_artifact("reference_profile").load()  # what monitors compare with
    assert profile.n_rows == version.get_artifact("reference_profile").load().n_rows
    holdout_rows = ours.get_artifact("holdout_forecasts").load()
    assert len(holdout_rows) == len(version.get_artifact("holdout_forecasts").load())

    # Offered for staging by the run's own task, through the gate (floor and naive baseline).
    (decision,) = zenml_stages.decisions(ours)
    assert decision == registered["promotion"] and decision["stage"] == "staging"
    assert decision["decision"] == gate_decision(decision, {"naive_rmspe": metrics["naive_rmspe"]})
    staged = Client().get_model_version(MODEL, ours.name).stage
    assert (staged == "staging") == (decision["decision"] == "promoted")
