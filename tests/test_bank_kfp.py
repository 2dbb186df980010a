"""The bank KFP pipeline end to end with kfp.local, and parity with ZenML on the same config.

Both runs read one run config (1,500 rows of bank.csv through `data_path`, a small search) and
must agree on every metric: same core functions, same seeds, same data. They run side by side
(ZenML in a subprocess) in one test, so no worker has to wait for the other's run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest
import yaml
from kfp import local

from components import PIPELINES
from model_factory.bank import data
from model_factory.bank.config import BankTrainingConfig
from model_factory.config import load_run_config
from model_factory.integrations.kfp_compile import pipeline_inputs
from support import PROJECT_ROOT

SMALL_SEARCH = {"n_candidates": 4, "cv_folds": 2, "factor": 2, "n_jobs": 1}
ROWS = 1_500
TASKS = {"resolve-config", "ingest", "validate", "split", "train", "evaluate"}


def _small_config(folder: Path) -> Path:
    """The shipped run config on a sample of bank.csv (`data_path`) with a small search."""
    sample = folder / "bank_sample.csv"
    rows = data.load(BankTrainingConfig()).sample(ROWS, random_state=0)
    rows.to_csv(sample, sep=";", index=False)
    raw = yaml.safe_load((PROJECT_ROOT / "zenml_config/bank_training.yaml").read_text())
    raw["parameters"]["config"].update(data_path=str(sample), search=SMALL_SEARCH)
    path = folder / "bank.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _run_kfp(config: BankTrainingConfig, root: Path):
    """The registered pipeline through kfp.local; returns the pipeline task."""
    entry = PIPELINES["bank_training"]
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    return entry.build(config)(**pipeline_inputs(entry, config))


@pytest.mark.slow
def test_kfp_local_run_leaves_every_artifact_and_matches_zenml(tmp_path, monkeypatch):
    config_path = _small_config(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # ZenML's run: one core, the KFP run the other
    zenml_run = subprocess.Popen(
        [sys.executable, "-m", "model_factory", "train", "bank",
         "--config", str(config_path), "--metrics-out", str(tmp_path / "zenml.json")],
        cwd=PROJECT_ROOT, env=os.environ.copy(), text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    config = load_run_config(config_path, BankTrainingConfig).parameters.config
    task = _run_kfp(config, tmp_path / "pipeline_root")
    _, zenml_errors = zenml_run.communicate(timeout=900)
    assert zenml_run.returncode == 0, zenml_errors[-2000:]

    (run_dir,) = (tmp_path / "pipeline_root").iterdir()
    assert {p.name for p in run_dir.iterdir()} == TASKS
    output = task.outputs["Output"]
    metrics, record = json.loads(Path(output.path).read_text()), output.metadata
    assert 0.6 < metrics["roc_auc"] < 1.0 and 0.0 < metrics["threshold"] < 1.0
    assert record["n_train"] + metrics["n_test"] == ROWS
    evaluate = json.loads((run_dir / "evaluate/executor_output.json").read_text())
    logged = evaluate["artifacts"]["metrics"]["artifacts"][0]["metadata"]
    assert logged == pytest.approx(metrics)  # the KFP UI's scalar metrics
    assert "data:image/png;base64," in (run_dir / "evaluate/evaluation_plot").read_text()
    model = joblib.load(run_dir / "train/classifier")
    test = pd.read_parquet(run_dir / "split/test_set")
    assert len(test) == metrics["n_test"]
    assert model.predict_proba(test[config.features]).shape == (len(test), 2)

    zenml_metrics = json.loads((tmp_path / "zenml.json").read_text())
    assert set(metrics) == set(zenml_metrics) - {"model_version", "promotion"}
    for name, value in metrics.items():
        assert zenml_metrics[name] == pytest.approx(value, rel=0, abs=1e-9), name

    from zenml.client import Client

    version = Client().get_model_version(
        "bank_marketing_classifier", zenml_metrics["model_version"]
    )
    recorded = version.run_metadata
    assert recorded["data_fingerprint"] == record["data_fingerprint"]
    assert recorded["n_train"] == record["n_train"]
    assert recorded["search"]["cv_roc_auc"] == pytest.approx(
        record["search"]["cv_roc_auc"], rel=0, abs=1e-9
    )
    assert recorded["search"]["best_params"] == pytest.approx(record["search"]["best_params"])


def test_bad_inputs_stop_the_run_in_its_first_task(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    config = BankTrainingConfig().model_copy(update={"test_fraction": 1.5})  # unvalidated copy
    with pytest.raises(RuntimeError, match=r"Inner task failed: .*resolve-config"):
        _run_kfp(config, tmp_path / "pipeline_root")
    out, err = capfd.readouterr()
    assert "InputError: pipeline inputs: test_fraction: Input should be less than 1" in out + err
    assert "Executing task" in out + err and "'ingest'" not in out + err
