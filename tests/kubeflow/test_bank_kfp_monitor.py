"""The bank KFP monitor pipeline under kfp.local, both ways.

A small classifier's reference folder is the pipeline's `reference_uri`. A fresh batch from the same
population (rows of bank-full.csv outside bank.csv) must stop after the check: no task of the
nested training runs and no classifier is written. A shifted customer mix must run the nested
training on the reference data plus the batch and leave a classifier that scores. Only the
shifted batch posts a drift alert to the webhook receiver, linked to the run in the KFP UI.
The scoring pipeline scores with the same classifier staged on this process's ZenML store, and
reads the reference folder (the exported path) to refuse a batch breaking its contract.
"""

import json

import joblib
import pandas as pd
import pytest
from http_receiver import Receiver
from zenml.client import Client

from components import PIPELINES
from model_factory import alerts, splits
from model_factory.bank import data, evaluate, model, monitor, shift
from model_factory.bank.config import BankTrainingConfig
from model_factory.config import KubeflowRegistration
from model_factory.continuous import save_reference
from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from support import clear_stages, gate_decision, kfp_retry_waits, run_kfp_local, stage_reference

MODEL = "bank_marketing_classifier"
VERSION = "7"  # the production version's name, as the reference folder records it
KFP_UI = "https://kfp.example"  # where the alert links the run
ROWS, BATCH = 1500, 1000
SMALL_SEARCH = {"n_candidates": 2, "cv_folds": 2, "factor": 2, "n_jobs": 1}
# And the importer, which leaves no folder; the exit task runs (and sends nothing) on success.
MONITOR_TASKS = {"resolve-config", "check", "alert-run-failed"}
TRAINING_TASKS = {"retraining-window", "resolve-config-2", "ingest", "validate", "split", "train",
                  "evaluate"}  # fmt: skip
REGISTERS = "register"  # the nested training's last task, with a ZenML server configured


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """(the pipeline's config with the reference and the small training, the version name).

    The reference is what `model-factory export-reference` writes from a production version
    (tests/pipelines/test_continuous_training.py exports a real one), made here by the core
    functions the training pipeline's steps call: seconds instead of a ZenML run.
    """
    folder = tmp_path_factory.mktemp("bank-production")
    sample = folder / "reference.csv"
    data.load(BankTrainingConfig()).sample(ROWS, random_state=0).to_csv(
        sample, sep=";", index=False
    )
    base = PIPELINES["bank_monitor"].config(config_dir())
    training = base.retraining.model_copy(
        update={
            "data_path": str(sample),
            "search": base.retraining.search.model_copy(update=SMALL_SEARCH),
        }
    )
    dataset = data.validate(data.load(training), training)
    train, test = splits.hash_split(
        dataset, training.features, training.test_fraction, training.split_salt
    )
    classifier = model.train(train, training).model
    scores = evaluate.evaluate(classifier, test, training)
    profile = monitor.build_profile(dataset, test, classifier, training, scores)
    reference = save_reference(folder / "reference", MODEL, VERSION, profile, classifier, training)
    return base.model_copy(update={"reference_uri": str(reference), "retraining": training})


def _monitor(production, batch: pd.DataFrame, tmp_path, monkeypatch):
    """Run the pipeline on `batch`; returns the run folder, the check's metrics JSON and the
    alerts a webhook receiver got (its URL and the KFP UI's address set as the Secret sets them
    on a cluster: kfp.local's task subprocesses inherit this process's environment)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    monkeypatch.setenv(alerts.KFP_UI_ENV, KFP_UI)
    config = production
    path = tmp_path / "batch.csv"
    batch.to_csv(path, sep=";", index=False)
    monitor = config.monitor.model_copy(update={"data_path": str(path)})
    with Receiver() as receiver:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, receiver.url)
        run_kfp_local(
            "bank_monitor", config.model_copy(update={"monitor": monitor}), tmp_path / "root"
        )
    (run_dir,) = (tmp_path / "root").iterdir()
    outcome = json.loads((run_dir / "check/metrics_json").read_text())
    assert "<html" in (run_dir / "check/drift_report").read_text()
    return run_dir, outcome, receiver.bodies


@pytest.mark.slow
def test_a_fresh_batch_trains_nothing(production, tmp_path, monkeypatch):
    run_dir, outcome, posted = _monitor(
        production, shift.fresh_batch(BATCH, seed=3), tmp_path, monkeypatch
    )
    assert outcome["drifted"] is False and outcome["model_version"] == VERSION
    assert posted == []  # no drift, no failure: no alert
    assert outcome["n_rows"] == BATCH and "roc_auc" in outcome["checks"]
    assert {p.name for p in run_dir.iterdir()} == MONITOR_TASKS
    assert not list(run_dir.rglob("classifier"))


@pytest.mark.slow
def test_a_shifted_batch_retrains_on_the_reference_plus_the_batch(
    production, tmp_path, monkeypatch
):
    """With this process's ZenML store as the training config's server, the retrained model is
    registered and offered for staging, as a training run's is."""
    batch = shift.shift(shift.fresh_batch(BATCH, seed=3), seed=3)
    server = KubeflowRegistration(zenml_url=Client().zen_store.url)
    registering = production.retraining.model_copy(update={"kubeflow": server})
    clear_stages(MODEL)  # other tests of this process may have staged versions
    run_dir, outcome, posted = _monitor(
        production.model_copy(update={"retraining": registering}), batch, tmp_path, monkeypatch
    )
    assert outcome["drifted"] is True
    assert set(shift.SHIFTED_FEATURES) <= set(outcome["drifted_checks"])
    # The check posted one drift alert naming the reference's version, the checks, the run,
    # then the registered retrained version's staging decision (promoted or rejected).
    (alert,) = [a for a in posted if a["event"] == "drift"]
    (decision,) = [a for a in posted if a["event"] != "drift"]
    assert decision["event"] in {"promoted", "rejected"} and decision["model"] == MODEL
    drifted = outcome["drifted_checks"]
    assert (alert["event"], alert["model"], alert["version"]) == ("drift", MODEL, VERSION)
    assert alert["reason"] == f"{len(drifted)} check(s) drifted: " + ", ".join(drifted)
    assert alert["run"] and alert["run_url"] == f"{KFP_UI}/#/runs/details/{alert['run']}"
    assert {p.name for p in run_dir.iterdir()} == MONITOR_TASKS | TRAINING_TASKS | {REGISTERS}
    window = pd.read_csv(run_dir / "retraining-window/window", sep=";")
    parts = [pd.read_parquet(run_dir / "split" / part) for part in ("train_set", "test_set")]
    assert len(window) == sum(map(len, parts)) == ROWS + BATCH
    config = production.retraining
    classifier = joblib.load(run_dir / "train/classifier")
    assert classifier.predict_proba(parts[1][config.features]).shape == (len(parts[1]), 2)
    metrics = json.loads((run_dir / "evaluate/metrics_json").read_text())
    assert metrics["n_test"] == len(parts[1]) and 0.5 < metrics["roc_auc"] <= 1.0
    # What the KFP UI plots: the held-out ROC curve and confusion matrix.
    logged = json.loads((run_dir / "evaluate/executor_output.json").read_text())["artifacts"]
    curves = logged["classification"]["artifacts"][0]["metadata"]
    assert set(curves) == {"confidenceMetrics", "confusionMatrix"}
    roc = curves["confidenceMetrics"]
    assert {frozenset(point) for point in roc} == {
        frozenset({"confidenceThreshold", "falsePositiveRate", "recall"})
    }
    assert (roc[0]["falsePositiveRate"], roc[-1]["recall"]) == (0.0, 1.0)
    assert all(0.0 <= point["confidenceThreshold"] <= 1.0 for point in roc)  # JSON has no inf
    matrix = curves["confusionMatrix"]
    assert [spec["displayName"] for spec in matrix["annotationSpecs"]] == ["no", "yes"]
    assert sum(sum(row["row"]) for row in matrix["rows"]) == metrics["n_test"]
    assert logged["metrics"]["artifacts"][0]["metadata"] == pytest.approx(metrics)

    registered = json.loads((run_dir / REGISTERS / "executor_output.json").read_text())
    registered = registered["parameterValues"]["Output"]
    version = Client().get_model_version(MODEL, registered["model_version"])
    recorded = version.run_metadata
    assert recorded["metrics"] == metrics and recorded["trained_by"] == "kubeflow"
    assert recorded["n_train"] + metrics["n_test"] == ROWS + BATCH
    assert recorded["kfp_run_name"] == run_dir.name
    test_set = version.get_artifact("test_set").load()
    scores = version.get_artifact("classifier").load().predict_proba(test_set[config.features])
    assert (scores == classifier.predict_proba(parts[1][config.features])).all()
    (decision,) = zenml_stages.decisions(version)
    assert decision == registered["promotion"] and decision["stage"] == "staging"
    assert decision["decision"] == gate_decision(decision)


@pytest.mark.slow
def test_batch_scoring_uses_the_staged_classifier_and_the_reference_contract(
    production, tmp_path, monkeypatch
):
    """With this process's ZenML store as the scoring config's server, the KFP scoring pipeline
    scores with the version of the run config's model in its stage (the reference's classifier
    registered under a model name of its own), never reading `reference_uri`; without a server
    it reads the exported reference and refuses a batch that breaks its training contract, as
    the ZenML scoring run does."""
    from zenml.integrations.sklearn.materializers.sklearn_materializer import SklearnMaterializer

    from model_factory import continuous
    from model_factory.bank.config import BankScoringConfig
    from model_factory.config import KubeflowServer
    from model_factory.use_cases import BANK

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    name = "bank_scoring_kfp"  # a table of one's own: scored by the run config's model name
    version = stage_reference(
        BANK, production.reference_uri, name, "production", SklearnMaterializer
    )
    batch = shift.fresh_batch(200, seed=5)
    path = tmp_path / "batch.csv"
    batch.to_csv(path, sep=";", index=False)
    server = KubeflowServer(zenml_url=Client().zen_store.url)
    scoring = BankScoringConfig(data_path=str(path), model=name, kubeflow=server)
    config = continuous.BankScoringWithReference(
        reference_uri=str(tmp_path / "never-exported"), scoring=scoring
    )
    run_kfp_local("bank_scoring", config, tmp_path / "root")
    (run_dir,) = (tmp_path / "root").iterdir()
    tasks = {"resolve-config", "staged-model", "load-batch", "score", "alert-run-failed"}
    assert {p.name for p in run_dir.iterdir()} == tasks
    scored = pd.read_parquet(run_dir / "score/predictions")
    classifier = version.get_artifact(BANK.model_artifact).load()
    features = production.retraining.features
    expected = classifier.predict_proba(batch[features])[:, 1]
    assert scored["probability"].tolist() == pytest.approx(expected.tolist(), abs=1e-12)
    assert set(scored["model_version"]) == {version.name} and len(scored) == 200
    executed = json.loads((run_dir / "score/executor_output.json").read_text())
    summary = executed["parameterValues"]["Output"]  # the task's: the pipeline returns nothing
    assert summary["model_version"] == version.name and summary["n_rows"] == 200
    logged = executed["artifacts"]
    assert set(logged["metrics"]["artifacts"][0]["metadata"]) == {
        "n_rows",
        "n_predicted_positive",
        "mean_probability",
    }
    (predictions,) = logged["predictions"]["artifacts"]
    assert predictions["metadata"]["model_version_id"] == str(version.id)
    staged = json.loads((run_dir / "staged-model/executor_output.json").read_text())
    recorded = staged["artifacts"]["reference"]["artifacts"][0]["metadata"]
    assert recorded == {"model": name, "stage": "production", "version": version.name,
                        "model_version_id": str(version.id)}  # fmt: skip

    broken = tmp_path / "broken.csv"
    batch.drop(columns=["age"]).to_csv(broken, sep=";", index=False)
    bad = continuous.BankScoringWithReference(
        reference_uri=production.reference_uri,
        scoring=BankScoringConfig(data_path=str(broken)),
    )
    with (
        kfp_retry_waits() as waits,
        pytest.raises(RuntimeError, match=r"Inner task failed: .*load-batch"),
    ):
        run_kfp_local("bank_scoring", bad, tmp_path / "bad")
    # load-batch reads external data: retried after the platform's backoff, then the run fails.
    assert waits == [30, 60, 120]
    (bad_run,) = (tmp_path / "bad").iterdir()
    assert "staged-model" not in {p.name for p in bad_run.iterdir()}  # the reference's contract
