"""Drift-triggered retraining and the decision history, on real runs of the bank pipelines.

A tiny classifier is trained and put in production. A fresh batch from the same population
(rows of bank-full.csv outside bank.csv) must not retrain anything; the same kind of batch with
a shifted customer mix must retrain on reference plus recent data and offer the new version for
staging, which takes it only if it beats production on the new held-out rows. `history` must
list all of it in order.
"""

import json

import pytest
import yaml
from zenml.client import Client

from model_factory import continuous
from model_factory.bank import shift
from model_factory.bank.config import BankTrainingConfig
from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from model_factory.promotion import POLICY_FILE, policy_for
from support import retrained, run_cli, run_main, train_into_production, version_names

MODEL = "bank_marketing_classifier"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory) -> str:
    raw = yaml.safe_load((config_dir() / "bank_training.yaml").read_text())
    raw["parameters"]["config"]["search"].update(n_candidates=2, cv_folds=2)
    path = tmp_path_factory.mktemp("ct") / "train.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


@pytest.fixture(scope="module")
def production(tiny_config, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("ct-train")
    return train_into_production(MODEL, folder, "bank", "--config", tiny_config)


def retrain(tmp_path, tiny_config, shifted: bool):
    """`retrain-if-drifted` on a fresh or shifted batch: (stdout, metrics path). The shifted one
    runs in a new interpreter as a user types it (the command's one subprocess run); the fresh
    one in this process, without a new interpreter's imports."""
    batch = shift.fresh_batch(1500, seed=3)
    batch = shift.shift(batch, seed=3) if shifted else batch
    path = tmp_path / ("shifted.csv" if shifted else "fresh.csv")
    batch.to_csv(path, sep=";", index=False)
    out = tmp_path / "metrics.json"
    args = ("retrain-if-drifted", "bank", "--data", str(path), "--config", tiny_config,
            "--metrics-out", str(out))  # fmt: skip
    if shifted:
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout, out
    code, printed, err = run_main(*args)
    assert code == 0, err[-3000:]
    return printed, out


def test_no_drift_trains_nothing(tmp_path, tiny_config, production):
    before = version_names(MODEL)
    printed, out = retrain(tmp_path, tiny_config, shifted=False)
    assert "no drift: nothing retrained" in printed
    assert version_names(MODEL) == before and not out.exists()


def test_drift_retrains_and_the_gate_decides_on_the_new_rows(tmp_path, tiny_config, production):
    before = version_names(MODEL)
    _, out = retrain(tmp_path, tiny_config, shifted=True)
    metrics, version = retrained(
        MODEL, before, out, f"drift against production version {production} on shifted.csv"
    )
    new = version.name
    assert version.run_metadata["metrics"]["n_test"] > 0
    [decision] = zenml_stages.decisions(version)
    assert (decision["stage"], decision["incumbent_version"]) == ("staging", production)
    assert decision["comparison"] == "rescore"  # production never saw the new rows
    lead = decision["candidate_score"] - decision["incumbent_score"]
    margin = policy_for(MODEL, config_dir() / POLICY_FILE).margin
    assert decision["decision"] == ("promoted" if lead > margin else "rejected")
    assert metrics["promotion"] == decision["decision"]
    assert str(Client().get_model_version(MODEL, production).stage) == "production"

    code, printed, err = run_main("history", MODEL, "--json")
    assert code == 0, err
    events = [(e["version"], e["event"]) for e in json.loads(printed)]
    mine = [e for e in events if e[0] in (production, new)]
    assert mine[0] == (production, "trained")
    assert mine[-3:] == [(production, "drifted"), (new, "retrained"), (new, decision["decision"])]


def test_export_reference_writes_what_the_kubeflow_monitors_read(tmp_path, production):
    code, out, err = run_main("export-reference", "bank", "--to", str(tmp_path / "reference"))
    assert code == 0, err
    assert out.strip() == f"{MODEL} version {production} (production): {tmp_path}/reference"
    reference = continuous.load_reference(tmp_path / "reference", MODEL)
    version = Client().get_model_version(MODEL, production)
    assert reference.version == production
    assert reference.profile == version.get_artifact("reference_profile").load()
    batch = shift.fresh_batch(100, seed=1)[reference.profile.features]
    classifier = version.get_artifact("classifier").load()
    assert (reference.model.predict_proba(batch) == classifier.predict_proba(batch)).all()
    # What the Kubeflow scoring pipeline checks a batch against: the version's own config.
    training = continuous.load_training_config(tmp_path / "reference", BankTrainingConfig)
    assert training == BankTrainingConfig.model_validate(version.run_metadata["config"])
