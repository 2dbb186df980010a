"""The bank pipeline end to end on ZenML's local stack: CLI, `zenml pipeline run`, and a
dataset of another schema configured by a file alone."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from support import PROJECT_ROOT

SMALL_SEARCH = {"n_candidates": 4, "cv_folds": 2, "factor": 2, "n_jobs": 2}


def _config(tmp_path, **overrides) -> str:
    raw = yaml.safe_load((PROJECT_ROOT / "zenml_config/bank_training.yaml").read_text())
    raw["parameters"]["config"].update(search=SMALL_SEARCH, **overrides)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _version(name: str, number: str):
    from zenml.client import Client

    return Client().get_model_version(name, number)


@pytest.mark.slow
def test_cli_and_zenml_run_give_the_same_registered_model(cli, tmp_path, scratch):
    config = _config(tmp_path)
    result = cli("train", "bank", "--config", config, "--metrics-out", str(tmp_path / "m.json"))
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert {"roc_auc", "pr_auc", "f1", "threshold", "model_version", "promotion"} <= set(metrics)
    assert 0.6 < metrics["roc_auc"] < 1.0 and 0.0 < metrics["threshold"] < 1.0

    version = _version("bank_marketing_classifier", metrics["model_version"])
    meta = version.run_metadata
    assert meta["metrics"]["roc_auc"] == pytest.approx(metrics["roc_auc"])
    assert meta["config"]["search"]["n_candidates"] == 4
    assert len(meta["data_fingerprint"]) == 16 and meta["git_commit"]
    plot = Image.open(scratch / "outputs/bank/evaluation.png")
    assert plot.width > 1000

    zenml = subprocess.run(
        [str(Path(sys.executable).parent / "zenml"), "pipeline", "run",
         "pipelines.bank_training.bank_training", "-c", config],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=900,
    )  # fmt: skip
    assert zenml.returncode == 0, zenml.stderr[-2000:]
    latest = _version("bank_marketing_classifier", str(int(metrics["model_version"]) + 1))
    assert latest.run_metadata["metrics"] == pytest.approx(meta["metrics"])
    assert latest.run_metadata["data_fingerprint"] == meta["data_fingerprint"]
