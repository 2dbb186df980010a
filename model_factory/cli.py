"""`model-factory`: the command line over the core, ZenML and Kubeflow.

Imports of heavy libraries (zenml, sklearn, prophet, kfp) happen inside commands so that
`--help` stays fast. Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 promotion rejected,
4 drift detected.
"""

import functools
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path

import click
import typer

from model_factory.errors import DriftDetected, InputError, PromotionRejected
from model_factory.paths import config_dir

CONFIG_DIR = config_dir()

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
train_app = typer.Typer(
    no_args_is_help=True, help="Train a model, evaluate it, register a version."
)
app.add_typer(train_app, name="train")
detect_app = typer.Typer(
    no_args_is_help=True, help="Batch-score one run date into the staging database."
)
app.add_typer(detect_app, name="detect")
predict_app = typer.Typer(
    no_args_is_help=True, help="Batch-score with the model version in a stage (production)."
)
app.add_typer(predict_app, name="predict")
stack_app = typer.Typer(no_args_is_help=True, help="The ZenML stack that runs on Kubeflow.")
app.add_typer(stack_app, name="stack")
monitor_app = typer.Typer(
    no_args_is_help=True,
    help="Check a batch against the production version's reference profile (exit 4: drift).",
)
app.add_typer(monitor_app, name="monitor")
deploy_app = typer.Typer(no_args_is_help=True, help="Deploy a service to Kubernetes.")
app.add_typer(deploy_app, name="deploy")

ConfigOption = typer.Option(None, "--config", help="Run config YAML (default: zenml_config/...)")
DataOption = typer.Option(None, "--data", help="Input data (default: bundled or synthetic)")
MetricsOption = typer.Option(None, "--metrics-out", help="Write the metrics as a flat JSON file")
DbOption = typer.Option(
    None, "--db", help="SQLAlchemy URL of the staging DB (default: $MODEL_FACTORY_DB_URL, config, "
    "then a SQLite file in the outputs folder)",
)  # fmt: skip
RunDateOption = typer.Option(
    ..., "--run-date", help="YYYY-MM-DD: keys the rows, seeds synthetic rides"
)


class StageName(StrEnum):
    staging = "staging"
    production = "production"


def _config_path(given: Path | None, default_name: str) -> Path:
    return given or CONFIG_DIR / default_name


@train_app.command("bank-marketing")
def train_bank_marketing(
    data: Path | None = DataOption, config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Train the term-deposit classifier (SMOTE + boosted trees, halving search)."""
    from model_factory.bank import data as bank_data
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.config import load_run_config

    run_config = load_run_config(_config_path(config, "bank_training.yaml"), BankTrainingConfig)
    settings = run_config.parameters.config
    if data is not None:
        settings = settings.model_copy(update={"data_path": str(data)})
    bank_data.validate(bank_data.load(settings), settings, source=str(data or "data"))
    return _train_and_report("bank_marketing", run_config, settings, metrics_out)


@train_app.command("store-forecasting")
def train_store_forecasting(
    data: Path | None = DataOption,
    stores: Path | None = typer.Option(None, "--stores", help="Rossmann store.csv (optional)"),
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
    holdout_days: int | None = typer.Option(
        None, "--holdout-days", min=7, help="Last days scored once (default: the config's, 42)"
    ),
) -> dict:
    """Train one sales forecaster per store (Prophet variants or seasonal naive, chosen on a
    validation window) and score the last 6 weeks against the seasonal-naive baseline."""
    from model_factory.config import load_run_config
    from model_factory.forecasting import data as forecast_data
    from model_factory.forecasting.config import ForecastTrainingConfig

    run_config = load_run_config(
        _config_path(config, "forecast_training.yaml"), ForecastTrainingConfig
    )
    settings = run_config.parameters.config
    given = {"data_path": data, "store_path": stores}
    settings = settings.model_copy(update={k: str(v) for k, v in given.items() if v is not None})
    if holdout_days is not None:
        settings = settings.model_copy(update={"holdout_days": holdout_days})
    raw_sales, raw_stores = forecast_data.load(settings)
    sales = forecast_data.validate(raw_sales, settings, source=settings.data_path or "synthetic")
    forecast_data.validate_stores(raw_stores, sales, source=settings.store_path or "stores")
    return _train_and_report("store_forecasting", run_config, settings, metrics_out)


def _train_and_report(use_case: str, run_config, settings, metrics_out: Path | None) -> dict:
    """Run a training pipeline and report the metrics its `metrics` output holds."""
    from importlib import import_module

    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import print_metrics, write_metrics

    pipeline_module = import_module(f"pipelines.{use_case}")
    run = run_with_config(pipeline_module.TRAINING, run_config, settings)
    metrics = step_output(run, pipeline_module.METRICS_STEP, "metrics")
    promotion = _promotion(run, "this pipeline has no promote step")
    metrics["promotion"] = promotion["decision"]
    write_metrics(metrics, metrics_out)
    print_metrics(f"{use_case} (run {run.name})", metrics)
    print(f"promotion: {promotion['decision']}: {promotion['reason']}")
    return metrics


def _promotion(run, why_skipped: str) -> dict:
    """The run's promote-step decision, or `skipped` when the run had no such step."""
    from model_factory.integrations.zenml_runs import step_output

    if "promote" in run.steps:
        return step_output(run, "promote", "promotion")
    return {"decision": "skipped", "reason": why_skipped}


@detect_app.command("taxi-anomalies")
def detect_taxi_anomalies(
    run_date: str = RunDateOption, data: Path | None = DataOption, db: str | None = DbOption,
    config: Path | None = ConfigOption, metrics_out: Path | None = MetricsOption,
    rides: int | None = typer.Option(
        None, "--rides", help="Synthetic rides per set (day, reference window, evaluation set); "
        "overrides simulator.n_rides",
    ),
) -> dict:  # fmt: skip
    """Label a day's taxi rides (DBSCAN noise = anomaly) into the taxi_ride_labels table."""
    from model_factory.config import load_run_config, parse
    from model_factory.paths import resolve_db_url
    from model_factory.sql import check_connection
    from model_factory.taxi import data as taxi_data
    from model_factory.taxi.config import TaxiDetectionConfig

    config_path = _config_path(config, "taxi_detection.yaml")
    run_config = load_run_config(config_path, TaxiDetectionConfig)
    if run_config.model is not None:  # it would make every run create an (empty) model version
        raise InputError(f"{config_path}: model: is not allowed; the pipeline picks the version")
    overrides = {"run_date": run_date} | ({"data_path": str(data.resolve())} if data else {})
    values = run_config.parameters.config.model_dump()
    if rides is not None:
        overrides["simulator"] = {**values["simulator"], "n_rides": rides}
    settings = parse(TaxiDetectionConfig, {**values, **overrides}, "options")
    taxi_data.validate(taxi_data.load(settings), taxi_data.source(settings))
    if settings.reference_path:
        taxi_data.validate(taxi_data.load_reference(settings), settings.reference_path)
    check_connection(resolve_db_url(db, settings.db_url))
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db

    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import console, print_metrics, write_metrics
    from model_factory.taxi.evaluate import plot_path
    from pipelines import taxi_anomalies

    run = run_with_config(taxi_anomalies.DETECTION, run_config, settings)
    metrics = step_output(run, taxi_anomalies.METRICS_STEP, "metrics")
    promotion = _promotion(run, "the production version labelled the rides")
    metrics["promotion"] = promotion["decision"]
    write_metrics(metrics, metrics_out)
    print_metrics(f"taxi_anomalies {settings.run_date} (run {run.name})", metrics)
    print(f"promotion: {promotion['decision']}: {promotion['reason']}")
    console.print(f"Plot: {plot_path(settings.run_date)}")
    return metrics


@predict_app.command("bank-marketing")
def predict_bank_marketing(
    data: Path | None = typer.Option(None, "--data", help="CSV to score (default: bank-full.csv)"),
    out: Path | None = typer.Option(None, "--out", help="Predictions CSV (default: outputs/)"),
    stage: StageName = typer.Option("production", "--stage", help="Stage to score with"),
    config: Path | None = ConfigOption, metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Score a CSV: its columns plus probability, prediction (1 = yes), model_version, scored_at."""
    from model_factory.bank import data as bank_data
    from model_factory.bank import predict
    from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
    from model_factory.config import load_run_config
    from model_factory.integrations.zenml_lookup import require_stage_version
    from pipelines import bank_scoring
    from pipelines.bank_marketing import MODEL

    run_config = load_run_config(_config_path(config, "bank_scoring.yaml"), BankScoringConfig)
    given = {"data_path": data, "out_path": out}
    settings = run_config.parameters.config.model_copy(
        update={k: str(v.resolve()) for k, v in given.items() if v is not None}
        | {"stage": stage.value}
    )
    version = require_stage_version(MODEL.name, settings.stage)
    training = BankTrainingConfig.model_validate(version.run_metadata["config"])
    batch = bank_data.load_batch(settings)
    predict.validate_batch(batch, training, bank_data.batch_source(settings))
    return _score_and_report(bank_scoring, run_config, settings, metrics_out)


@predict_app.command("store-forecasting")
def predict_store_forecasting(
    calendar: Path | None = typer.Option(
        None, "--calendar", help="Rossmann test.csv (default: --horizon days after the cutoff)"
    ),
    horizon: int | None = typer.Option(None, "--horizon", help="Days to forecast, no calendar"),
    db: str | None = DbOption,
    stage: StageName = typer.Option("production", "--stage", help="Stage to forecast with"),
    config: Path | None = ConfigOption, metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Forecast every store into the store_forecasts table (idempotent per model version)."""
    from model_factory.config import load_run_config, parse
    from model_factory.forecasting import batch
    from model_factory.forecasting.config import ForecastScoringConfig
    from model_factory.integrations.zenml_lookup import require_stage_version, version_artifact
    from model_factory.integrations.zenml_runs import use_project_sources
    from model_factory.paths import resolve_db_url
    from model_factory.sql import check_connection
    from pipelines import store_forecast_scoring
    from pipelines.store_forecasting import MODEL

    config_path = _config_path(config, "forecast_scoring.yaml")
    run_config = load_run_config(config_path, ForecastScoringConfig)
    given = {"calendar_path": calendar and str(calendar.resolve()), "horizon_days": horizon}
    settings = parse(
        ForecastScoringConfig,
        run_config.parameters.config.model_dump()
        | {k: v for k, v in given.items() if v is not None} | {"stage": stage.value},
        "options",
    )  # fmt: skip
    version = require_stage_version(MODEL.name, settings.stage)
    if settings.calendar_path:
        use_project_sources()
        forecaster = version_artifact(version, "store_forecaster").load()
        days = batch.read_calendar(settings.calendar_path)
        batch.check_calendar(days, forecaster, settings.calendar_path)
    check_connection(resolve_db_url(db, settings.db_url))
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db
    return _score_and_report(store_forecast_scoring, run_config, settings, metrics_out)


def _score_and_report(pipeline_module, run_config, settings, metrics_out: Path | None) -> dict:
    """Run a scoring pipeline and report the metrics its `metrics` output holds."""
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import print_metrics, write_metrics

    run = run_with_config(pipeline_module.SCORING, run_config, settings)
    metrics = step_output(run, pipeline_module.METRICS_STEP, "metrics")
    write_metrics(metrics, metrics_out)
    print_metrics(f"{run.pipeline.name} (run {run.name})", metrics)
    return metrics


@monitor_app.command("bank-marketing")
def monitor_bank_marketing(
    data: Path | None = DataOption, config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Feature, probability and (with outcomes `y`) ROC-AUC drift of a customer batch."""
    from model_factory.bank import monitor

    return _monitor_file(monitor, monitor.BankMonitorConfig, "bank_monitor.yaml",
                         "bank_marketing", data, config, metrics_out)  # fmt: skip


@monitor_app.command("store-forecasting")
def monitor_store_forecasting(
    data: Path | None = DataOption, config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Per-store level and promotion effect, forecast and RMSPE drift of actual sales."""
    from model_factory.forecasting import monitor

    return _monitor_file(monitor, monitor.ForecastMonitorConfig, "forecast_monitor.yaml",
                         "store_forecasting", data, config, metrics_out)  # fmt: skip


def _monitor_file(
    monitor, params, config_name: str, use_case: str,
    data: Path | None, config: Path | None, metrics_out: Path | None,
) -> dict:  # fmt: skip
    """Monitor a batch file with a use case's `monitor` module; bad batches exit 2 first."""
    from model_factory.config import load_run_config

    run_config = load_run_config(_config_path(config, config_name), params)
    settings = run_config.parameters.config
    if data is not None:
        settings = settings.model_copy(update={"data_path": str(data.resolve())})
    profile = _monitor_profile(monitor.MODEL_NAME, settings.data_path)
    monitor.validate_batch(monitor.load_batch(settings), profile, settings.data_path)
    return _monitor_and_report(use_case, run_config, settings, metrics_out)


@monitor_app.command("taxi-anomalies")
def monitor_taxi_anomalies(
    run_date: str = RunDateOption, db: str | None = DbOption, config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Ride distance, time, speed and anomaly-rate drift of one labelled run date."""
    from model_factory.config import load_run_config, parse
    from model_factory.drift.profile import require_batch
    from model_factory.paths import resolve_db_url
    from model_factory.taxi import monitor

    run_config = load_run_config(
        _config_path(config, "taxi_monitor.yaml"), monitor.TaxiMonitorConfig
    )
    settings = parse(
        monitor.TaxiMonitorConfig,
        {**run_config.parameters.config.model_dump(), "run_date": run_date},
        "options",
    )
    profile = _monitor_profile(monitor.MODEL_NAME, "")
    url = resolve_db_url(db, settings.db_url)
    require_batch(monitor.load_batch(url, settings.day), profile, f"run date {run_date}")
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db
    return _monitor_and_report("taxi_anomalies", run_config, settings, metrics_out)


def _monitor_profile(model: str, data_path: str | None):
    """The production version's profile; no batch, no version or no profile: exit 2."""
    from model_factory.integrations.zenml_drift import monitored_version, reference_profile

    if data_path is None:
        raise InputError("no batch given: pass --data PATH (or set data_path in the config)")
    return reference_profile(monitored_version(model))


def _monitor_and_report(use_case: str, run_config, settings, metrics_out: Path | None) -> dict:
    """Run the monitor pipeline, print the table, write metrics; drift raises (exit 4)."""
    from importlib import import_module

    from model_factory.drift import report
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import console, write_metrics

    pipeline_module = import_module(f"pipelines.{use_case}_monitor")
    run = run_with_config(pipeline_module.MONITOR, run_config, settings)
    drift = step_output(run, pipeline_module.REPORT_STEP, "drift_report")
    metrics = step_output(run, pipeline_module.METRICS_STEP, "metrics")
    write_metrics(metrics, metrics_out)
    console.print(report.table(drift))
    console.print(f"Report: {report.html_path(use_case)} (run {run.name})")
    if drift.drifted:
        raise DriftDetected(f"{len(drift.drifted_checks)} check(s): "
                            + ", ".join(drift.drifted_checks))  # fmt: skip
    console.print("no drift")
    return metrics


class RetrainableModel(StrEnum):
    bank_marketing_classifier = "bank_marketing_classifier"
    store_sales_forecaster = "store_sales_forecaster"
    taxi_anomaly_detector = "taxi_anomaly_detector"


@app.command("retrain-if-drifted")
def retrain_if_drifted(
    model: RetrainableModel = typer.Argument(..., help="Model to check and maybe retrain"),
    data: Path | None = typer.Option(
        None, "--data", help="Recent batch, with outcomes (y / Sales); bank and forecasting"
    ),
    run_date: str | None = typer.Option(
        None, "--run-date", help="taxi: the labelled day (`detect` wrote it) to check"
    ),
    db: str | None = DbOption,
    config: Path | None = typer.Option(
        None, "--config", help="Training (taxi: detection) run config (default: zenml_config/...)"
    ),
    metrics_out: Path | None = MetricsOption,
) -> dict | None:
    """Monitor a batch against production; only on drift, retrain on the production version's
    data plus the batch and offer the new version for staging (the usual promotion gate).

    Taxi: the batch is a run date's labelled rides; the new detector's scaler is fitted on the
    production version's reference window plus that day, production keeps labelling the day.
    Forecasting: the holdout is at most half the batch, so the candidate has seen the change.
    Exit 0 whether or not it retrained (a rejected candidate is a result); 2 on bad input.
    """
    from zenml import log_metadata

    from model_factory.integrations import zenml_stages
    from model_factory.integrations.zenml_drift import monitored_version
    from model_factory.reporting import console

    taxi = model is RetrainableModel.taxi_anomaly_detector
    if taxi and (run_date is None or data is not None):
        raise InputError("taxi_anomaly_detector: pass --run-date D (its rides come from the DB)")
    if not taxi and (data is None or run_date is not None or db is not None):
        raise InputError(f"{model.value}: pass --data PATH (--run-date and --db are taxi's)")
    source = f"run date {run_date}" if taxi else data.name
    if model is RetrainableModel.store_sales_forecaster:  # before anything is recorded
        holdout = _retraining_holdout(data, config)
    try:
        if taxi:
            monitor_taxi_anomalies(run_date, db, None, None)
        elif model is RetrainableModel.bank_marketing_classifier:
            monitor_bank_marketing(data, None, None)
        else:
            monitor_store_forecasting(data, None, None)
    except DriftDetected as drift:
        production = monitored_version(model.value)
        reason = f"drift against production version {production.name} on {source}: {drift}"
    else:
        console.print("no drift: nothing retrained")
        return None
    console.print(f"{reason}; retraining")
    if taxi:
        metrics = _retrain_taxi(run_date, db, config, metrics_out, production)
    elif model is RetrainableModel.bank_marketing_classifier:
        metrics = train_bank_marketing(
            _retraining_window(model, data, production), config, metrics_out
        )
    else:
        window = _retraining_window(model, data, production)
        metrics = train_store_forecasting(window, None, config, metrics_out, holdout)
    new = zenml_stages.get_version(zenml_stages.get_model(model.value), metrics["model_version"])
    log_metadata(metadata={"retrained_because": reason}, model_version_id=new.id)
    console.print(f"version {new.name} retrained after {production.name}: {metrics['promotion']}")
    return metrics


def _retraining_holdout(data: Path, config: Path | None) -> int:
    """The forecaster's holdout days when retraining with `data` as the recent batch
    (model_factory.forecasting.data.retraining_holdout: at most half the batch)."""
    from model_factory.config import load_run_config
    from model_factory.forecasting import data as forecast_data
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.validation import read_table

    path = _config_path(config, "forecast_training.yaml")
    configured = load_run_config(path, ForecastTrainingConfig).parameters.config.holdout_days
    batch = read_table(data, **forecast_data.CSV_OPTIONS)
    return forecast_data.retraining_holdout(batch, configured)


def _retraining_window(model: RetrainableModel, data: Path, version) -> Path:
    """Reference plus recent as a CSV beside the outputs: the production `version`'s training
    data (bank: its recorded source; forecasting: its `sales` artifact) and the batch (taxi:
    see `_retrain_taxi`)."""
    from datetime import UTC, datetime

    from model_factory.paths import output_dir
    from model_factory.validation import read_table

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    if model is RetrainableModel.bank_marketing_classifier:
        from model_factory.bank import data as bank_data
        from model_factory.bank.config import BankTrainingConfig

        recorded = BankTrainingConfig.model_validate(version.run_metadata["config"])
        batch = read_table(data, sep=recorded.csv_separator)
        window = bank_data.with_recent(bank_data.load(recorded), batch, recorded)
        path = output_dir("bank_marketing") / f"retrain_{stamp}.csv"
        window.to_csv(path, sep=recorded.csv_separator, index=False)
    else:
        from model_factory.forecasting import data as forecast_data
        from model_factory.integrations.zenml_lookup import version_artifact

        history = version_artifact(version, "sales").load()
        batch = read_table(data, **forecast_data.CSV_OPTIONS)
        window = forecast_data.with_recent(history, batch)
        path = output_dir("store_forecasting") / f"retrain_{stamp}.csv"
        window.assign(Date=window["Date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


@app.command("export-reference")
def export_reference(
    model: RetrainableModel = typer.Argument(..., help="Model whose production version to export"),
    to: Path = typer.Option(..., "--to", help="Folder to write (then copy it to reference_uri)"),
) -> None:
    """Write the production version's reference profile, model and name to a folder: what the
    Kubeflow monitor pipelines read at `reference_uri` (zenml_config/kubeflow_monitors.yaml).
    Run it after each promotion to production (a KFP run has no ZenML store to look it up in)."""
    from model_factory.integrations.zenml_drift import export_reference as export

    version = export(model.value, to)
    print(f"{model.value} version {version} (production): {to}")


def _retrain_taxi(run_date: str, db: str | None, config: Path | None, metrics_out, production):
    """A detection run of `run_date` that also fits a version (`retrain`): its reference is the
    production version's reference window plus the day's labelled rides, its rides the day's
    (so production relabels the same rides). The run config used is written beside the window.
    Returns the new version's F1, name and promotion decision."""
    from datetime import UTC, datetime

    import pandas as pd
    import yaml

    from model_factory.integrations import zenml_stages
    from model_factory.paths import output_dir, resolve_db_url
    from model_factory.reporting import write_metrics
    from model_factory.taxi import data as taxi_data
    from model_factory.taxi import monitor as taxi_monitor
    from model_factory.taxi.config import TaxiDetectionConfig, parse_run_date

    recorded = TaxiDetectionConfig.model_validate(production.run_metadata["config"])
    raw = yaml.safe_load(_config_path(config, "taxi_detection.yaml").read_text())
    url = resolve_db_url(db, raw["parameters"]["config"].get("db_url"))
    columns = ["ride_id", "ride_dist", "ride_time"]
    day = taxi_monitor.load_batch(url, parse_run_date(run_date))[columns]
    reference = taxi_data.load_reference(recorded)[columns]
    window = pd.concat([
        reference.assign(ride_id="reference:" + reference["ride_id"].astype(str)),
        day.assign(ride_id=f"{run_date}:" + day["ride_id"].astype(str)),
    ])  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = output_dir("taxi_anomalies")
    paths = {k: folder / f"retrain_{stamp}_{k}" for k in ("rides.csv", "window.csv", "run.yaml")}
    day.to_csv(paths["rides.csv"], index=False)
    window.to_csv(paths["window.csv"], index=False)
    raw["parameters"]["config"].update(reference_path=str(paths["window.csv"]), retrain=True)
    paths["run.yaml"].write_text(yaml.safe_dump(raw, sort_keys=False))

    model = zenml_stages.get_model(production.model.name)
    before = {v.name for v in zenml_stages.versions(model)}
    labelled = detect_taxi_anomalies(
        run_date, paths["rides.csv"], db, paths["run.yaml"], None, None
    )
    [new] = [v for v in zenml_stages.versions(model) if v.name not in before]
    metrics = {**new.run_metadata["metrics"], "model_version": new.name,
               "promotion": labelled["promotion"], "reference_rows": len(window)}  # fmt: skip
    write_metrics(metrics, metrics_out)
    return metrics


@app.command()
def history(
    model: str = typer.Argument(..., help="Model name"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Every decision in order: trained or retrained, monitored (drift or not), promoted,
    rejected, rolled back; with scores and reasons, from model-version metadata."""
    import json

    from rich.table import Table

    from model_factory.integrations import zenml_stages
    from model_factory.promotion import POLICY_FILE, load_policies
    from model_factory.reporting import console

    policy = load_policies(CONFIG_DIR / POLICY_FILE).get(model)
    rows = zenml_stages.history(model, policy.metric if policy else None)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title=f"{model} history" + (f" ({policy.metric})" if policy else ""))
    for column in ("time", "version", "event", "stage", "score", "incumbent", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["time"], row["version"], row["event"], row["stage"] or "-",
            _cell(row["score"]), _cell(row["incumbent_score"]), row["reason"],
        )  # fmt: skip
    console.print(table)


class BatchKind(StrEnum):
    bank_marketing = "bank-marketing"
    store_forecasting = "store-forecasting"
    taxi_rides = "taxi-rides"


@app.command("sample-batch")
def sample_batch(
    kind: BatchKind = typer.Argument(..., help="Which batch"),
    out: Path = typer.Option(..., "--out", help="CSV to write"),
    shift: bool = typer.Option(False, "--shift", help="Apply the use case's synthetic shift"),
    seed: int = typer.Option(0, "--seed", help="Seeds the draw and the shift"),
    run_date: str = typer.Option("2024-06-01", "--run-date", help="taxi-rides: the day"),
) -> None:
    """Write a fresh batch for `monitor` (or `detect`), optionally shifted: bank customers
    outside bank.csv (shift: job mix, lower balances); the 6 weeks after the default synthetic
    sales (shift: level change, lost promo effect, weekend trade moved to weekdays for some
    stores); a day of synthetic
    rides (shift: longer rides)."""
    from model_factory.reporting import console

    if kind is BatchKind.bank_marketing:
        from model_factory.bank import shift as bank_shift

        frame = bank_shift.fresh_batch(1000, seed)
        frame = bank_shift.shift(frame, seed) if shift else frame
        note = f"shifted: {', '.join(bank_shift.SHIFTED_FEATURES)}" if shift else ""
        separator = ";"
    elif kind is BatchKind.store_forecasting:
        from model_factory.config import load_run_config
        from model_factory.forecasting import shift as sales_shift
        from model_factory.forecasting.config import ForecastTrainingConfig

        training = load_run_config(CONFIG_DIR / "forecast_training.yaml", ForecastTrainingConfig)
        settings = training.parameters.config
        frame = sales_shift.next_days(settings.synthetic, settings.holdout_days, seed)
        note = ""
        if shift:
            level, promo, weekly = sales_shift.pick_stores(frame["Store"], seed, 2)
            frame = sales_shift.shift(frame, level, promo, weekly)
            note = (f"shifted: level of stores {level}, promo effect of stores {promo}, "
                    f"weekly pattern of stores {weekly}")  # fmt: skip
        separator = ","
    else:
        from model_factory.taxi import shift as ride_shift
        from model_factory.taxi import simulate
        from model_factory.taxi.config import SimulatorConfig, parse_run_date

        frame = simulate.rides_for_day(SimulatorConfig(), seed, parse_run_date(run_date))
        frame = ride_shift.longer_rides(frame, seed) if shift else frame
        note = f"shifted: {', '.join(ride_shift.SHIFTED_FEATURES)}" if shift else ""
        separator = ","
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, sep=separator, index=False)
    console.print(f"{out}: {len(frame):,} rows{'; ' + note if note else ''}")


@app.command()
def promote(
    model: str = typer.Argument(..., help="Model name, e.g. bank_marketing_classifier"),
    to: StageName = typer.Option(..., "--to", help="Target stage"),
    version: str | None = typer.Option(
        None, "--version", help="Version name or number (default: latest / the staging holder)"
    ),
) -> None:
    """Promote a version if it beats the stage's incumbent on the same data (exit 3 if not).

    To staging the incumbent is the staging holder, else the production holder; only the staging
    holder may go to production. Policies: zenml_config/promotion.yaml.
    """
    from model_factory.integrations import zenml_stages

    record = zenml_stages.promote(model, to.value, _policy(model), version)
    _print_decision(record)
    if record.decision == "rejected":
        raise PromotionRejected(record.reason)


@app.command()
def rollback(model: str = typer.Argument(..., help="Model name")) -> None:
    """Give production back to the version that held it before the current holder."""
    from model_factory.integrations import zenml_stages

    _print_decision(zenml_stages.rollback(model, _policy(model)))


@app.command()
def models(
    model: str | None = typer.Argument(None, help="One model (default: all)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """List model versions: stage, key metrics, created time and the last decision."""
    import json

    from rich.table import Table

    from model_factory.integrations import zenml_stages
    from model_factory.promotion import POLICY_FILE, load_policies
    from model_factory.reporting import console

    rows = zenml_stages.catalog(model)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        console.print("no models registered yet (train one: `model-factory train ...`)")
    policies = load_policies(CONFIG_DIR / POLICY_FILE)
    for name in dict.fromkeys(row["model"] for row in rows):
        versions = [row for row in rows if row["model"] == name]
        policy = policies.get(name)
        keys = [policy.metric, *policy.must_beat] if policy else sorted(versions[-1]["metrics"])
        table = Table(title=name + (f" ({policy.metric}, {policy.direction})" if policy else ""))
        for column in ["version", "stage", *keys, "created", "last decision"]:
            table.add_column(column, justify="right" if column in keys else "left")
        for row in versions:
            last = row["last_decision"]
            table.add_row(
                row["version"],
                row["stage"] or "-",
                *(_cell(row["metrics"].get(key)) for key in keys),
                row["created"],
                _last(last),
            )
        console.print(table)


def _policy(model: str):
    from model_factory.promotion import POLICY_FILE, policy_for

    return policy_for(model, CONFIG_DIR / POLICY_FILE)


def _last(decision: dict | None) -> str:
    if decision is None:
        return "-"
    label = "rolled back" if decision["action"] == "rollback" else decision["decision"]
    return f"{label} ({decision['stage']})"


def _cell(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "-" if value is None else str(value)


def _print_decision(record) -> None:
    """The decision in a few lines: outcome, both scores, margin, comparison, reason."""
    from model_factory.reporting import console

    console.print(
        f"[bold]{record.model}[/] version {record.candidate_version} -> {record.stage} "
        f"({record.action}): [bold]{record.decision}[/]"
    )
    if record.candidate_score is not None:
        versus = "no incumbent"
        if record.incumbent_version is not None:
            score = "n/a" if record.incumbent_score is None else f"{record.incumbent_score:.4f}"
            how = f" ({record.comparison})" if record.comparison else ""
            versus = f"incumbent version {record.incumbent_version} {score}{how}"
        console.print(
            f"  {record.metric} ({record.direction}): candidate {record.candidate_score:.4f}, "
            f"{versus}; margin {record.margin:g}, floor {record.floor:g}"
        )
    console.print(f"  reason: {record.reason}")
    if record.archived:
        console.print(f"  archived: version {', '.join(record.archived)}")


@app.command()
def serve(
    host: str | None = typer.Option(None, "--host", help="Interface (default 127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="Port (default 8000)"),
    stage: StageName | None = typer.Option(None, "--stage", help="Stage served (production)"),
    reload_interval: float | None = typer.Option(
        None, "--reload-interval", help="Seconds between looks at the stage holder (30)"
    ),
    insecure: bool = typer.Option(
        False, "--insecure", help="Start without $MODEL_FACTORY_API_KEY: no authentication"
    ),
) -> None:
    """Serve store forecasts over HTTP (POST /forecast) from the model version in a stage.

    Settings: options, else $MODEL_FACTORY_SERVE_<SETTING> (see model_factory/serving/settings.py).
    Clients send the key of $MODEL_FACTORY_API_KEY in the X-API-Key header.
    """
    import logging

    from model_factory.serving.settings import load_settings

    settings = load_settings(
        host=host, port=port, stage=stage.value if stage else None,
        reload_interval_seconds=reload_interval, insecure=insecure or None,
    )  # fmt: skip
    key = settings.api_key()  # refuse before the slow imports below

    import uvicorn

    from model_factory.serving.app import create_app

    app = create_app(settings)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("model_factory.serving").setLevel(logging.INFO)
    if key is None:
        logging.getLogger("model_factory.serving").warning("no API key: anyone may call the API")
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False)


@app.command()
def summary(
    files: list[Path] = typer.Argument(..., help="Metrics JSON files written by --metrics-out"),
) -> None:
    """Print the metrics files as Markdown tables (e.g. into a CI job summary)."""
    import json

    from model_factory.reporting import markdown_summary

    reports = {}
    for path in files:
        try:
            reports[path.stem] = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not a readable metrics JSON ({exc})") from exc
    print(markdown_summary(reports))


@app.command("compile")
def compile_pipelines(
    out: Path = typer.Option(Path("build/kfp"), "--out", help="Folder for <pipeline>.yaml"),
    image: str | None = typer.Option(
        None, "--image", help="Image every task runs (default: model-factory:<version>)"
    ),
) -> None:
    """Compile every Kubeflow pipeline to IR YAML; input defaults come from zenml_config/."""
    from components import PIPELINES
    from components.platform import PROJECT_IMAGE
    from model_factory.integrations.kfp_compile import compile_all

    for path in compile_all(PIPELINES, out, image or PROJECT_IMAGE, CONFIG_DIR):
        print(path)


@app.command("submit")
def submit_pipeline(
    pipeline: str = typer.Argument(..., help="Compiled pipeline: <dir>/<pipeline>.yaml's stem"),
    host: str = typer.Option(..., "--host", help="KFP URL, e.g. http://localhost:8080"),
    namespace: str | None = typer.Option(
        None, "--namespace", help="Your profile namespace on multi-user Kubeflow (not standalone)"
    ),
    experiment: str | None = typer.Option(
        None, "--experiment", help="Experiment (default: the pipeline's name)"
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="5-field cron, server time (UTC), e.g. '0 6 * * *'"
    ),
    scheduled: bool = typer.Option(
        False, "--scheduled", help="Recurring run on the pipeline's cron in kubeflow_monitors.yaml"
    ),
    version_name: str | None = typer.Option(
        None, "--version-name", help="Version name (default: <git commit>-<package sha256>)"
    ),
    directory: Path = typer.Option(
        Path("build/kfp"), "--dir", help="Folder `model-factory compile --out` wrote"
    ),
    upload_only: bool = typer.Option(
        False, "--upload-only", help="Upload the version, start nothing (releases)"
    ),
) -> None:
    """Upload a compiled pipeline as a new KFP pipeline version, then run or schedule it.

    The pipeline is created on first submit; --schedule (or --scheduled: the configured cron)
    makes a recurring run instead of a run.
    Auth: $KF_PIPELINES_TOKEN, else the service-account token file $KF_PIPELINES_SA_TOKEN_PATH
    (default /var/run/secrets/kubeflow/pipelines/token if present), else none (standalone KFP).
    """
    from model_factory import cron, kubeflow_monitors
    from model_factory.integrations import kfp_submit

    if scheduled and schedule is not None:
        raise InputError("--scheduled uses the configured cron: drop --schedule or --scheduled")
    if upload_only and (schedule is not None or scheduled):
        given = "--scheduled" if scheduled else "--schedule"
        raise InputError(f"--upload-only starts nothing: drop {given} or --upload-only")
    if scheduled:
        schedule = kubeflow_monitors.schedule(CONFIG_DIR, pipeline)
    kfp_cron = cron.to_kfp(schedule) if schedule is not None else None
    package = kfp_submit.package_path(directory, pipeline)
    host = kfp_submit.api_url(host)
    from model_factory.provenance import git_commit  # imports pandas: after the quick checks

    commit = git_commit()
    done = kfp_submit.submit(
        package, pipeline, host,
        version_name=version_name or kfp_submit.default_version_name(package, commit),
        reuse_version=version_name is None,
        experiment=experiment or pipeline,
        namespace=namespace,
        cron=kfp_cron,
        description=f"{package.name} from commit {commit}",
        start=not upload_only,
    )  # fmt: skip
    state = "uploaded" if done.uploaded else "already there, reused"
    print(f"pipeline {pipeline} ({done.pipeline_id}): version {done.version_name} "
          f"({done.version_id}) {state}")  # fmt: skip
    if upload_only:
        print(f"nothing started: {done.url}")
    elif done.run_id:
        print(f"run {done.run_id} in experiment {experiment or pipeline}: {done.url}")
    else:
        print(f"recurring run {done.recurring_run_id} ({kfp_cron}) in experiment "
              f"{experiment or pipeline}: {done.url}")  # fmt: skip


@stack_app.command("register")
def stack_register(
    outputs: Path | None = typer.Option(
        None, "--from", help="`terraform output -json` of infra/terraform/envs/<env>"
    ),
    sets: list[str] = typer.Option(
        [], "--set", help="NAME=VALUE for a placeholder the outputs lack (repeatable)"
    ),
    definition: Path | None = typer.Option(
        None, "--stack", help="Stack definition (default: zenml_config/stacks/kubeflow.yaml)"
    ),
) -> None:
    """Register the Kubeflow stack filled from Terraform's outputs, or update it, and activate it.

    Log in to the stack's ZenML server first (`zenml login URL`): Kubeflow pods report to it.
    """
    from model_factory import stack_template

    template = definition or CONFIG_DIR / stack_template.STACK_FILE
    values = stack_template.terraform_values(outputs) if outputs else {}
    document = stack_template.render(template, values, stack_template.parse_sets(sets))

    from model_factory.integrations import zenml_stack

    zenml_stack.require_server(document["zenml_server_url"])
    for line in zenml_stack.register(document):
        print(line)
    print(f"active stack: {document['stack_name']} (server {document['zenml_server_url']})")


class DeployEnv(StrEnum):
    dev = "dev"
    prod = "prod"


@deploy_app.command("forecast-service")
def deploy_forecast_service(
    env: DeployEnv = typer.Option(..., "--env", help="Overlay in infra/k8s/overlays/"),
    image: str | None = typer.Option(
        None, "--image", help="Image of the service (prod: pinned by digest; default: overlay's)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only render and write the manifests"),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds to wait for the rollout"),
    out: Path | None = typer.Option(
        None, "--out", help="Rendered manifests (default: build/k8s/forecast-service-<env>.yaml)"
    ),
    context: str | None = typer.Option(None, "--context", help="kubeconfig context (current)"),
) -> None:
    """Render the overlay, server-side apply every object, wait for the Deployment's rollout.

    The manifests name the model stage, never a version: the service loads the stage's holder.
    """
    from model_factory.config import parse
    from model_factory.integrations import k8s_deploy
    from model_factory.reporting import console

    settings = parse(
        k8s_deploy.DeployConfig,
        {"env": env.value, "image": image, "timeout_seconds": timeout, "context": context},
        "options",
    )
    manifests = out or Path("build/k8s") / f"forecast-service-{env.value}.yaml"
    try:
        report = k8s_deploy.deploy(settings, manifests, dry_run=dry_run, echo=console.print)
    except k8s_deploy.DeployFailed as exc:
        _fail(f"error: {exc}", 1)
    console.print(
        f"forecast-service ({report.env}, namespace {report.namespace}): serves the "
        f"[bold]{report.stage}[/] version of {report.model}"
    )
    for line in (f"image: {report.image}", f"manifests: {report.manifests}", report.rollout):
        console.print(line, soft_wrap=True)


@app.command()
def demo() -> None:
    """Run every pipeline on bundled or synthetic data and say where the outputs are."""
    from model_factory.paths import home, output_dir
    from model_factory.reporting import console
    from pipelines import bank_marketing, store_forecasting

    headline = {
        "bank_marketing": ("roc_auc", "pr_auc", "f1", "model_version", "promotion"),
        "taxi_anomalies": ("run_date", "n_rides", "n_anomalies", "f1", "model_version"),
        "store_forecasting": ("rmspe", "naive_rmspe", "coverage", "model_version", "promotion"),
        "bank_scoring": ("n_rows", "n_predicted_positive", "model_version", "out_path"),
        "store_forecast_scoring": ("n_stores", "rows_written", "model_version", "table"),
    }
    wall_s: dict[str, float] = {}  # each pipeline command's wall time
    timed = functools.partial(_timed, wall_s)
    metrics = {
        "bank_marketing": timed("bank_marketing", train_bank_marketing)(
            None, None, output_dir("bank_marketing") / "metrics.json"
        ),
        "taxi_anomalies": timed("taxi_anomalies", detect_taxi_anomalies)(
            "2024-06-01", None, None, None, output_dir("taxi_anomalies") / "metrics.json", None
        ),
        "store_forecasting": timed("store_forecasting", train_store_forecasting)(
            None, None, None, output_dir("store_forecasting") / "metrics.json", None
        ),
    }
    # Staging holders that still win go to production; batch scoring then uses production.
    if _demo_release(bank_marketing.MODEL.name):
        metrics["bank_scoring"] = timed("bank_scoring", predict_bank_marketing)(
            None, None, StageName.production, None, output_dir("bank_marketing") / "scoring.json"
        )
    if _demo_release(store_forecasting.MODEL.name):
        score_stores = timed("store_forecast_scoring", predict_store_forecasting)
        metrics["store_forecast_scoring"] = score_stores(
            None, None, None, StageName.production, None,
            output_dir("store_forecasting") / "scoring.json",
        )  # fmt: skip
    monitored = timed("bank_monitor", _demo_monitor)(bank_marketing.MODEL.name)
    console.rule("model-factory demo")
    for use_case, values in metrics.items():
        console.print(f"[bold]{use_case}[/]: " + ", ".join(
            f"{k}={values[k]:.3f}" if isinstance(values[k], float) else f"{k}={values[k]}"
            for k in headline[use_case]
        ))  # fmt: skip
    for line in monitored:
        console.print(line, soft_wrap=True)
    console.print("Wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in wall_s.items()))
    summary = json.dumps({"wall_s": wall_s, "metrics": metrics}, indent=2, default=str)
    (home() / "demo_summary.json").write_text(summary + "\n")  # read by benchmarks/
    console.print(f"Outputs (metrics, plots, staging DB): {home()}")
    console.print("Runs and artifacts: `zenml pipeline runs list`; models: `zenml model list`")
    console.print("Dashboard: `uv run zenml login --local` (then open the printed URL)")


def _timed(wall_s: dict[str, float], name: str, command):
    """`command`, recording each call's wall time under `name` (the demo prints and saves them)."""

    def run(*args):
        start = time.perf_counter()
        try:
            return command(*args)
        finally:
            wall_s[name] = time.perf_counter() - start

    return run


def _demo_monitor(model: str) -> list[str]:
    """Monitor a fresh and a shifted bank batch against production as `monitor bank-marketing`
    does (nothing without a production version); each run keeps its own copy of the HTML
    report. Returns the summary lines."""
    import contextlib
    import json
    import shutil

    from model_factory.drift.report import html_path
    from model_factory.integrations.zenml_lookup import stage_version
    from model_factory.paths import output_dir

    if stage_version(model, "production") is None:
        return []
    folder = output_dir("bank_marketing")
    lines = []
    for name, shifted in (("fresh", False), ("shifted", True)):
        batch, metrics_out = folder / f"batch_{name}.csv", folder / f"drift_{name}.json"
        sample_batch(BatchKind.bank_marketing, batch, shifted, 0, "2024-06-01")
        with contextlib.suppress(DriftDetected):  # the verdict is in the metrics file
            monitor_bank_marketing(batch, None, metrics_out)
        report = shutil.copy(html_path("bank_marketing"), folder / f"drift_report_{name}.html")
        drift = json.loads(metrics_out.read_text())
        checks = ", ".join(drift["drifted_checks"])
        verdict = f"[bold red]DRIFT[/] in {checks}" if drift["drifted"] else "no drift"
        lines.append(f"[bold]bank_marketing monitor[/] ({name} batch): {verdict}; "
                     f"report {report}")  # fmt: skip
    return lines


def _demo_release(model: str) -> bool:
    """Promote the staging holder to production as a release would; True if production is
    held afterwards (by it or by an earlier version)."""
    from model_factory.integrations.zenml_lookup import stage_version
    from model_factory.reporting import console

    if stage_version(model, "staging") is not None:
        try:
            promote(model, StageName.production, None)
        except PromotionRejected as rejected:
            console.print(f"{model}: staging stays in staging ({rejected})")
    return stage_version(model, "production") is not None


def main() -> None:
    """Entry point: map errors to exit codes and one-line messages."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        _fail(f"error: {exc}", 2)
    except PromotionRejected as exc:
        _fail(f"rejected: {exc}", 3)
    except DriftDetected as exc:
        _fail(f"drift: {exc}", 4)
    except click.exceptions.Abort:
        _fail("aborted", 1)
    except (click.ClickException, typer.TyperException) as exc:  # typer vendors its own click
        exc.show()
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("MODEL_FACTORY_DEBUG"):
            raise
        _fail(f"error: unexpected {type(exc).__name__}: {exc}", 1)


def _fail(message: str, code: int) -> None:
    print(message.replace("\n", " "), file=sys.stderr)
    sys.exit(code)
