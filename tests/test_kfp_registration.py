"""A native KFP training run joins the Model Control Plane: `submit bank_training --local` of a
package compiled with a ZenML server in its run config leaves a new version of
bank_marketing_classifier, put through the staging gate by the run's last task, that the
registry commands then promote like any other.

The server is this test process's ZenML store (its URL compiled in as `kubeflow.zenml_url`); the
tasks run under kfp.local, where no Kubernetes Secret exists: a SQL store needs no API key.
"""

import json

import pytest
import yaml
from zenml.client import Client

from components import PIPELINES
from components.platform import PROJECT_IMAGE
from model_factory.bank import comparison, data
from model_factory.bank.config import BankTrainingConfig
from model_factory.config import load_run_config
from model_factory.integrations import zenml_stages
from model_factory.integrations.kfp_compile import compile_pipeline
from support import PROJECT_ROOT, clear_stages, gate_decision, run_main, version_names

MODEL = "bank_marketing_classifier"
ROWS = 1_500
SMALL_SEARCH = {"n_candidates": 2, "cv_folds": 2, "factor": 2, "n_jobs": 1}


@pytest.mark.slow
def test_submit_local_registers_a_version_the_gate_and_promote_accept(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    sample = tmp_path / "bank_sample.csv"
    data.load(BankTrainingConfig()).sample(ROWS, random_state=0).to_csv(
        sample, sep=";", index=False
    )
    raw = yaml.safe_load((PROJECT_ROOT / "zenml_config/bank_training.yaml").read_text())
    url = Client().zen_store.url
    raw["parameters"]["config"].update(
        data_path=str(sample),
        search=SMALL_SEARCH,
        kubeflow={"zenml_url": url, "ui_url": "http://kfp.test:8080"},
    )
    (tmp_path / "bank_training.yaml").write_text(yaml.safe_dump(raw))
    config = load_run_config(tmp_path / "bank_training.yaml", BankTrainingConfig).parameters.config
    build = tmp_path / "build"
    build.mkdir()
    compile_pipeline(
        PIPELINES["bank_training"], config, PROJECT_IMAGE, build / "bank_training.yaml"
    )
    clear_stages(MODEL)  # other tests of this process may have staged versions
    before = version_names(MODEL) if any(m.name == MODEL for m in Client().list_models()) else []

    root = tmp_path / "root"
    code, out, err = run_main(
        "submit", "bank_training", "--local", "--dir", str(build), "--pipeline-root", str(root)
    )
    assert code == 0, (out + err)[-3000:]
    assert out.splitlines()[-1] == "bank_training: local run SUCCEEDED"

    (new,) = set(version_names(MODEL)) - set(before)
    version = Client().get_model_version(MODEL, new)
    recorded = version.run_metadata
    (run_dir,) = root.iterdir()
    metrics_file = run_dir / "evaluate/metrics_json"
    assert recorded["metrics"] == json.loads(metrics_file.read_text())
    assert recorded["kfp_run_name"] == run_dir.name
    assert (
        recorded["kfp_run_url"] == f"http://kfp.test:8080/#/runs/details/{recorded['kfp_run_id']}"
    )
    assert recorded["image"] == PROJECT_IMAGE and recorded["trained_by"] == "kubeflow"
    assert recorded["holdout"] == comparison.holdout(config)
    assert recorded["n_train"] + recorded["metrics"]["n_test"] == ROWS
    assert len(recorded["data_fingerprint"]) == 16 and recorded["git_commit"]
    classifier = version.get_artifact("classifier").load()
    test_set = version.get_artifact("test_set").load()
    assert classifier.predict_proba(test_set[config.features]).shape == (len(test_set), 2)

    # The run's last task offered it for staging: nothing held a stage, so the floor decided
    # (this sample's classifier passes it); then the registry commands take it further.
    (decision,) = zenml_stages.decisions(version)
    assert decision["stage"] == "staging" and decision["candidate_version"] == new
    assert decision["candidate_score"] == recorded["metrics"]["roc_auc"]
    assert decision["decision"] == gate_decision(decision) == "promoted"
    assert Client().get_model_version(MODEL, new).stage == "staging"
    code, out, err = run_main("promote", "bank", "--to", "production")
    assert code == 0, err
    assert Client().get_model_version(MODEL, new).stage == "production"
