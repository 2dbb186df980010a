"""The forecasting KFP monitor pipeline under kfp.local, both ways.

A forecaster of two synthetic stores is the production reference (`reference_uri`). The six
weeks after its data must stop after the check; the same weeks with one store's level halved
and another's promotion effect gone must run the nested training (its store-group fan-out too)
on the sales plus the batch and leave a merged forecaster of both stores. Only the shifted
weeks post a drift alert to the webhook receiver, naming the run by its id (no KFP UI address).
The scoring pipeline forecasts with the same forecaster staged on this process's ZenML store.
"""

import json

import pandas as pd
import pytest
from http_receiver import Receiver
from zenml.client import Client

from components import PIPELINES
from model_factory import alerts
from model_factory.continuous import save_reference
from model_factory.forecasting import data, evaluate, forecaster, monitor, shift, train
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.integrations import zenml_stages
from model_factory.paths import config_dir
from model_factory.use_cases import FORECASTING
from support import TINY_FORECAST, clear_stages, gate_decision, run_kfp_local, stage_reference

VERSION = "3"
SMALL = {
    **TINY_FORECAST,
    "synthetic": {"n_stores": 2, "n_days": 500, "start_date": "2013-01-01", "seed": 7},
    "n_jobs": 1,
    "kubeflow": {"store_groups": 1, "parallelism": 1},
}
BATCH_DAYS = 42
# And the importer, which leaves no folder; the exit task runs (and sends nothing) on success.
MONITOR_TASKS = {"resolve-config", "check", "alert-run-failed"}
TRAINING_TASKS = {"retraining-window", "resolve-config-2", "ingest", "validate", "store-groups",
                  "for-loop-1-iteration-0", "evaluate", "merge-models"}  # fmt: skip


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The pipeline's config with the reference folder (as `model-factory export-reference`
    writes it) of a forecaster made by the core functions the training steps call."""
    folder = tmp_path_factory.mktemp("forecast-production")
    base = PIPELINES["forecasting_monitor"].config(config_dir())
    training = ForecastTrainingConfig.model_validate(
        {**base.retraining.model_dump(), **SMALL,
         "prophet": {**base.retraining.prophet.model_dump(), **TINY_FORECAST["prophet"]}}
    )  # fmt: skip
    sales = data.validate(data.load(training)[0], training)
    holdout, evaluated = train.backtest(sales, training)
    profile = monitor.build_profile(holdout, evaluate.pooled_metrics(holdout))
    model = train.refit(sales, evaluated, training)
    reference = save_reference(
        folder / "reference", FORECASTING.model_name, VERSION, profile, model, training
    )
    return base.model_copy(update={"reference_uri": str(reference), "retraining": training})


def _monitor(production, batch: pd.DataFrame, tmp_path, monkeypatch):
    """Run the pipeline on `batch`; returns the run folder, the check's metrics JSON and the
    alerts a webhook receiver got (its URL set as the Secret sets it on a cluster: kfp.local's
    task subprocesses inherit this process's environment; no KFP UI address)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    monkeypatch.delenv(alerts.KFP_UI_ENV, raising=False)
    path = tmp_path / "batch.csv"
    batch.to_csv(path, index=False)
    monitor_config = production.monitor.model_copy(update={"data_path": str(path)})
    config = production.model_copy(update={"monitor": monitor_config})
    with Receiver() as receiver:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, receiver.url)
        run_kfp_local("forecasting_monitor", config, tmp_path / "root")
    (run_dir,) = (tmp_path / "root").iterdir()
    outcome = json.loads((run_dir / "check/metrics_json").read_text())
    assert "<html" in (run_dir / "check/drift_report").read_text()
    return run_dir, outcome, receiver.bodies


@pytest.mark.slow
def test_the_weeks_after_the_data_train_nothing(production, tmp_path, monkeypatch):
    batch = shift.next_days(production.retraining.synthetic, BATCH_DAYS)
    run_dir, outcome, posted = _monitor(production, batch, tmp_path, monkeypatch)
    assert outcome["drifted"] is False and outcome["model_version"] == VERSION
    assert posted == []  # no drift, no failure: no alert
    assert {"store 1 level", "store 2 level", "rmspe"} <= set(outcome["checks"])
    assert {p.name for p in run_dir.iterdir()} == MONITOR_TASKS


@pytest.mark.slow
def test_shifted_stores_retrain_on_the_sales_plus_the_batch(production, tmp_path, monkeypatch):
    """With this process's ZenML store as the training config's server, the retrained model is
    registered and offered for staging, as a training run's is."""
    batch = shift.next_days(production.retraining.synthetic, BATCH_DAYS)
    level, promo, _ = shift.pick_stores(batch["Store"], seed=1, n=1)
    training = production.retraining  # promote: off in TINY_FORECAST, on for the registration
    server = training.kubeflow.model_copy(update={"zenml_url": Client().zen_store.url})
    retraining = training.model_copy(update={"promote": True, "kubeflow": server})
    registering = production.model_copy(update={"retraining": retraining})
    clear_stages(FORECASTING.model_name)  # other tests of this process may have staged versions
    shifted = shift.shift(batch, level, promo)
    run_dir, outcome, posted = _monitor(registering, shifted, tmp_path, monkeypatch)
    assert outcome["drifted"] is True
    assert f"store {level[0]} level" in outcome["drifted_checks"]
    # One drift alert: the forecaster's version, its drifted checks, the run by its id (no UI),
    # then the registered retrained version's staging decision (promoted or rejected).
    (alert,) = [a for a in posted if a["event"] == "drift"]
    (decision,) = [a for a in posted if a["event"] != "drift"]
    assert (
        decision["event"] in {"promoted", "rejected"}
        and decision["model"] == FORECASTING.model_name
    )
    drifted = outcome["drifted_checks"]
    assert (alert["event"], alert["version"]) == ("drift", VERSION)
    assert alert["model"] == FORECASTING.model_name
    assert alert["reason"] == f"{len(drifted)} check(s) drifted: " + ", ".join(drifted)
    assert alert["run"] and alert["run_url"] is None
    assert alert["text"].endswith(f"(run: {alert['run']})")
    assert {p.name for p in run_dir.iterdir()} == MONITOR_TASKS | TRAINING_TASKS | {"register"}
    window = pd.read_csv(run_dir / "retraining-window/window")
    assert len(window) == len(pd.read_parquet(run_dir / "validate/sales"))
    assert window["Date"].max() == batch["Date"].max()
    assert len(window) == production.retraining.synthetic.n_days * 2 + len(batch)
    merged = forecaster.load(run_dir / "merge-models/store_forecaster")
    assert sorted(merged.stores) == [1, 2]
    assert merged.cutoff == pd.Timestamp(batch["Date"].max())
    # Judged on the second half of the batch: the first half is in the backtest's training.
    trained = json.loads((run_dir / "resolve-config-2/run_config").read_text())
    assert trained["holdout_days"] == BATCH_DAYS // 2 < production.retraining.holdout_days

    registered = json.loads((run_dir / "register/executor_output.json").read_text())
    registered = registered["parameterValues"]["Output"]
    version = Client().get_model_version(FORECASTING.model_name, registered["model_version"])
    recorded = version.run_metadata
    assert recorded["metrics"] == json.loads((run_dir / "evaluate/metrics_json").read_text())
    assert recorded["trained_by"] == "kubeflow" and recorded["kfp_run_name"] == run_dir.name
    assert recorded["training_cutoff"] == str(merged.cutoff.date())
    loaded = version.get_model_artifact("store_forecaster").load()
    assert loaded.to_files() == merged.to_files()
    (decision,) = zenml_stages.decisions(version)
    assert decision == registered["promotion"] and decision["stage"] == "staging"
    naive = {"naive_rmspe": recorded["metrics"]["naive_rmspe"]}
    assert decision["decision"] == gate_decision(decision, naive)


@pytest.mark.slow
def test_batch_forecasts_use_the_staged_forecaster_and_land_in_staging(
    production, tmp_path, monkeypatch
):
    """With this process's ZenML store as the scoring config's server, the KFP scoring pipeline
    forecasts with the version in the configured stage (the reference's forecaster registered
    and staged), never reading `reference_uri`, and writes the rows under its version to the
    database its Secret names, as the ZenML scoring run does. (The exported-folder path: bank's
    scoring test and the monitors here import the same folder format.)"""
    from zenml.enums import ModelStages

    from model_factory import continuous, sql
    from model_factory.config import KubeflowServer
    from model_factory.forecasting import batch, sink
    from model_factory.forecasting.config import ForecastScoringConfig
    from model_factory.integrations.forecast_materializer import StoreForecasterMaterializer

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # each KFP task writes its source to mktemp -d
    url = f"sqlite:///{tmp_path / 'staging.db'}"
    monkeypatch.setenv("MODEL_FACTORY_DB_URL", url)  # what the Secret gives on a cluster
    version = stage_reference(FORECASTING, production.reference_uri, FORECASTING.model_name,
                              "staging", StoreForecasterMaterializer)  # fmt: skip
    server = KubeflowServer(zenml_url=Client().zen_store.url)
    scoring = ForecastScoringConfig(horizon_days=14, stage="staging", kubeflow=server)
    config = continuous.ForecastScoringWithReference(
        reference_uri=str(tmp_path / "never-exported"), scoring=scoring
    )
    run_kfp_local("forecasting_scoring", config, tmp_path / "root")
    version.set_stage(ModelStages.ARCHIVED, force=True)  # leave no staging to later tests
    (run_dir,) = (tmp_path / "root").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {
        "resolve-config",
        "staged-model",
        "forecast-stores",
        "write-forecasts",
        "alert-run-failed",
    }
    model = version.get_artifact(FORECASTING.model_artifact).load()
    expected = batch.forecast_all(model, batch.default_calendar(model, 14))
    engine = sql.engine_for(url)
    try:
        rows = sink.read_forecasts(engine, version.name)
    finally:
        engine.dispose()
    assert len(rows) == len(expected) == 2 * 14
    assert sorted(rows["forecast"]) == pytest.approx(sorted(expected["forecast"]), rel=1e-12)
    logged = json.loads((run_dir / "write-forecasts/executor_output.json").read_text())
    summary = logged["parameterValues"]["Output"]  # the task's: the pipeline returns nothing
    assert (summary["model_version"], summary["rows_written"]) == (version.name, len(expected))
    assert summary["model_version_id"] == str(version.id)
    metrics = logged["artifacts"]["metrics"]["artifacts"][0]["metadata"]
    assert metrics == {"n_stores": 2, "rows_written": len(expected)}
    staged = json.loads((run_dir / "staged-model/executor_output.json").read_text())
    recorded = staged["artifacts"]["reference"]["artifacts"][0]["metadata"]
    assert recorded == {"model": FORECASTING.model_name, "stage": "staging",
                        "version": version.name, "model_version_id": str(version.id)}  # fmt: skip
