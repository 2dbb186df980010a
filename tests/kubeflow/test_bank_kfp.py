"""The bank KFP pipeline end to end with kfp.local, and parity with ZenML on the same config.

Both runs read one run config (1,500 rows of bank.csv through `data_path`, a small search) and
must agree on every metric: same core functions, same seeds, same data. They run side by side
(ZenML in a subprocess) in one test, so no worker has to wait for the other's run. The KFP run
also registers its model with ZenML (its last task) and must record what the ZenML run records.
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
from zenml.client import Client

from components import PIPELINES
from components.platform import PROJECT_IMAGE
from model_factory.bank import data
from model_factory.bank.config import BankTrainingConfig
from model_factory.config import KubeflowRegistration, load_run_config
from model_factory.integrations import zenml_stages
from model_factory.integrations.kubeflow.compiler import compile_pipeline, pipeline_inputs
from support import PROJECT_ROOT, clear_stages, gate_decision, run_main

SMALL_SEARCH = {"n_candidates": 4, "cv_folds": 2, "factor": 2, "n_jobs": 1}
ROWS = 1_500
TASKS = {"resolve-config", "ingest", "validate", "split", "train", "evaluate", "alert-run-failed"}
MODEL, NAME, UI = "bank_marketing_classifier", "bank_training", "http://kfp.test:8080"


def _small_config(folder: Path) -> Path:
    """The shipped run config on a sample of bank.csv (`data_path`) with a small search."""
    sample = folder / "bank_sample.csv"
    rows = data.load(BankTrainingConfig()).sample(ROWS, random_state=0)
    rows.to_csv(sample, sep=";", index=False)
    raw = yaml.safe_load((PROJECT_ROOT / "zenml_config/bank_training.yaml").read_text())
    raw["parameters"]["config"].update(data_path=str(sample), search=SMALL_SEARCH, promote=False)
    path = folder / "bank.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _run_kfp(config: BankTrainingConfig, root: Path):
    """The registered pipeline through kfp.local; returns the pipeline task."""
    entry = PIPELINES["bank_training"]
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    return entry.build(config)(**pipeline_inputs(entry, config))


@pytest.mark.slow
def test_kfp_local_run_leaves_every_artifact_matches_zenml_and_registers_its_version(
    tmp_path, monkeypatch
):
    """The KFP side runs as a user tries a package: `submit bank_training --local` of the
    pipeline compiled with this process's ZenML store as its server (`kubeflow.zenml_url`; a SQL
    store needs no API key, so no Secret is missed). Its last task registers the classifier
    and offers it for staging; the ZenML run, promotion off, competes for no stage."""
    config_path = _small_config(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # ZenML's run: one core, the KFP run the other
    clear_stages(MODEL)  # other tests of this process may have staged versions
    zenml_run = subprocess.Popen(
        [sys.executable, "-m", "model_factory", "train", "bank",
         "--config", str(config_path), "--metrics-out", str(tmp_path / "zenml.json")],
        cwd=PROJECT_ROOT, env=os.environ.copy(), text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    config = load_run_config(config_path, BankTrainingConfig).parameters.config
    registering = config.model_copy(
        update={
            "promote": True,
            "kubeflow": KubeflowRegistration(zenml_url=Client().zen_store.url, ui_url=UI),
        }
    )
    build = tmp_path / "build"
    build.mkdir()
    compile_pipeline(PIPELINES["bank_training"], registering, PROJECT_IMAGE, build / f"{NAME}.yaml")
    root = tmp_path / "pipeline_root"
    code, out, err = run_main(
        "submit", NAME, "--local", "--dir", str(build), "--pipeline-root", str(root)
    )
    _, zenml_errors = zenml_run.communicate(timeout=900)
    assert code == 0, (out + err)[-3000:]
    assert out.splitlines()[-1] == f"{NAME}: local run SUCCEEDED"
    assert zenml_run.returncode == 0, zenml_errors[-2000:]

    (run_dir,) = root.iterdir()
    assert {p.name for p in run_dir.iterdir()} == TASKS | {"register"}
    metrics = json.loads((run_dir / "evaluate/metrics_json").read_text())
    assert 0.6 < metrics["roc_auc"] < 1.0 and 0.0 < metrics["threshold"] < 1.0
    evaluate = json.loads((run_dir / "evaluate/executor_output.json").read_text())
    record = evaluate["artifacts"]["metrics_json"]["artifacts"][0]["metadata"]
    assert record["n_train"] + metrics["n_test"] == ROWS
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
    assert zenml_metrics["promotion"] == "skipped"  # promote: false in its run config

    zenml_version = Client().get_model_version(MODEL, zenml_metrics["model_version"])
    ours, ours_profile = (
        zenml_version.run_metadata,
        zenml_version.get_artifact("reference_profile").load(),
    )
    assert ours["data_fingerprint"] == record["data_fingerprint"]
    assert ours["n_train"] == record["n_train"]
    assert ours["search"]["cv_roc_auc"] == pytest.approx(
        record["search"]["cv_roc_auc"], rel=0, abs=1e-9
    )
    assert ours["search"]["best_params"] == pytest.approx(record["search"]["best_params"])

    # The KFP run's version: what a ZenML run's records, where it came from, loadable artifacts.
    registered = json.loads((run_dir / "register/executor_output.json").read_text())
    registered = registered["parameterValues"]["Output"]
    version = Client().get_model_version(MODEL, registered["model_version"])
    theirs = version.run_metadata
    assert theirs["metrics"] == pytest.approx(ours["metrics"], rel=0, abs=1e-9)
    for key in ("data_fingerprint", "holdout", "contract", "n_train", "git_commit"):
        assert theirs[key] == ours[key], key
    assert theirs["kfp_run_name"] == run_dir.name and theirs["trained_by"] == "kubeflow"
    assert theirs["kfp_run_url"] == f"{UI}/#/runs/details/{theirs['kfp_run_id']}"
    assert theirs["image"] == PROJECT_IMAGE
    classifier, test_set = (version.get_artifact(a).load() for a in ("classifier", "test_set"))
    profile = version.get_artifact("reference_profile").load()  # what monitors compare with
    assert (profile.use_case, profile.n_rows) == (ours_profile.use_case, ours_profile.n_rows)
    assert (
        classifier.predict_proba(test_set[config.features])
        == model.predict_proba(test[config.features])
    ).all()

    # Offered for staging by the run's own task: nothing held a stage, so the floor decided
    # (this sample passes it); then the registry commands take it further like any version.
    (decision,) = zenml_stages.decisions(version)
    assert decision == registered["promotion"] and decision["stage"] == "staging"
    assert decision["candidate_score"] == metrics["roc_auc"]
    assert decision["decision"] == gate_decision(decision) == "promoted"
    assert Client().get_model_version(MODEL, version.name).stage == "staging"
    code, _, err = run_main("promote", "bank", "--to", "production")
    assert code == 0, err
    assert Client().get_model_version(MODEL, version.name).stage == "production"


def test_bad_inputs_stop_the_run_in_its_first_task(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    config = BankTrainingConfig().model_copy(update={"test_fraction": 1.5})  # unvalidated copy
    with pytest.raises(RuntimeError, match=r"Inner task failed: .*resolve-config"):
        _run_kfp(config, tmp_path / "pipeline_root")
    out, err = capfd.readouterr()
    assert "InputError: pipeline inputs: test_fraction: Input should be less than 1" in out + err
    assert "Executing task" in out + err and "'ingest'" not in out + err
