"""`train` and `detect`: the training pipelines, each run ending in its promote step."""

import os
from pathlib import Path

import typer

from model_factory.cli.base import (
    ConfigOption,
    DataOption,
    DbOption,
    MetricsOption,
    data_location,
    detect_app,
    promotion_of,
    run_config_path,
    train_and_report,
    train_app,
    use_case_command,
)
from model_factory.errors import InputError
from model_factory.reporting import write_metrics
from model_factory.use_cases import BANK, FORECASTING, TAXI


@use_case_command(train_app, "train", BANK)
def train_bank(
    data: str | None = DataOption,
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:
    """Train the term-deposit classifier (SMOTE + boosted trees, halving search)."""
    from model_factory.bank import data as bank_data
    from model_factory.bank.config import BankTrainingConfig
    from model_factory.config import load_run_config
    from model_factory.integrations import zenml_stages

    run_config = load_run_config(run_config_path(config, BANK.training_config), BankTrainingConfig)
    settings = run_config.parameters.config
    if data is not None:
        settings = settings.model_copy(update={"data_path": data_location(data)})
    bank_data.validate(bank_data.load(settings), settings, source=str(data or "data"))
    model_name = (run_config.model or {}).get("name", BANK.model_name)
    zenml_stages.require_contract(model_name, bank_data.contract(settings))
    return train_and_report(BANK, run_config, settings, metrics_out)


@use_case_command(train_app, "train", FORECASTING)
def train_forecasting(
    data: str | None = DataOption,
    stores: Path | None = typer.Option(None, "--stores", help="Rossmann store.csv (optional)"),
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
    holdout_days: int | None = typer.Option(
        None, "--holdout-days", min=7, help="Last days scored once (default: the config's, 42)"
    ),
) -> dict:
    """Train one sales forecaster per store (Prophet variants, naive baselines or a mix, chosen on
    rolling windows) and score the holdout against the holiday-aware seasonal naive."""
    from model_factory.config import load_run_config
    from model_factory.forecasting import data as forecast_data
    from model_factory.forecasting.config import ForecastTrainingConfig

    run_config = load_run_config(
        run_config_path(config, FORECASTING.training_config), ForecastTrainingConfig
    )
    settings = run_config.parameters.config
    given = {"data_path": data, "store_path": stores}
    settings = settings.model_copy(
        update={k: data_location(v) for k, v in given.items() if v is not None}
    )
    if holdout_days is not None:
        settings = settings.model_copy(update={"holdout_days": holdout_days})
    raw_sales, raw_stores = forecast_data.load(settings)
    sales = forecast_data.validate(raw_sales, settings, source=settings.data_path or "synthetic")
    forecast_data.validate_stores(raw_stores, sales, source=settings.store_path or "stores")
    return train_and_report(FORECASTING, run_config, settings, metrics_out)


@use_case_command(detect_app, "detect", TAXI)
def detect_taxi(
    run_date: str | None = typer.Option(
        None, "--run-date", help="YYYY-MM-DD: keys the rows, seeds synthetic rides"
    ),
    start: str | None = typer.Option(None, "--from", help="Backfill: first date (YYYY-MM-DD)"),
    end: str | None = typer.Option(None, "--to", help="Backfill: last date, inclusive"),
    force: bool = typer.Option(
        False, "--force", help="Backfill: relabel dates the production version labelled already"
    ),
    data: str | None = DataOption, db: str | None = DbOption,
    config: Path | None = ConfigOption, metrics_out: Path | None = MetricsOption,
    rides: int | None = typer.Option(
        None, "--rides", help="Synthetic rides per set (day, reference window, evaluation set); "
        "overrides simulator.n_rides",
    ),
) -> dict:  # fmt: skip
    """Label a day's taxi rides (DBSCAN noise = anomaly) into the taxi_ride_labels table.

    --from D1 --to D2 labels every date in order (at most 92), one run each, skipping dates
    the production version has labelled already (--force relabels them).
    """
    from model_factory.config import load_run_config, parse
    from model_factory.paths import resolve_db_url
    from model_factory.sql import check_connection
    from model_factory.taxi import backfill
    from model_factory.taxi import data as taxi_data
    from model_factory.taxi.config import TaxiDetectionConfig

    dates = backfill.run_dates(run_date, start, end)
    if run_date is None and data is not None:
        raise InputError("--data holds one day's rides: use --run-date with it, not --from/--to")
    config_path = run_config_path(config, TAXI.training_config)
    run_config = load_run_config(config_path, TaxiDetectionConfig)
    if run_config.model is not None:  # it would make every run create an (empty) model version
        raise InputError(f"{config_path}: model: is not allowed; the pipeline picks the version")
    overrides = {"run_date": dates[0].isoformat()}
    overrides |= {"data_path": data_location(data)} if data else {}
    values = run_config.parameters.config.model_dump()
    if rides is not None:
        overrides["simulator"] = {**values["simulator"], "n_rides": rides}
    settings = parse(TaxiDetectionConfig, {**values, **overrides}, "options")
    taxi_data.validate(taxi_data.load(settings), settings)
    if settings.reference_path:
        reference = taxi_data.load_reference(settings)
        taxi_data.validate_rides(reference, settings.reference_path, settings.ranges)
    url = resolve_db_url(db, settings.db_url)
    check_connection(url)
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db
    if run_date is not None:
        metrics = _detect_day(run_config, settings)
        write_metrics(metrics, metrics_out)
        return metrics
    return _backfill(run_config, settings, dates, url, force, metrics_out)


def _detect_day(run_config, settings) -> dict:
    """One run of the detection pipeline for `settings.run_date`, reported."""
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import console, print_metrics
    from model_factory.taxi.evaluate import plot_path
    from pipelines import taxi_detection

    run = run_with_config(taxi_detection.DETECTION, run_config, settings)
    metrics = step_output(run, taxi_detection.METRICS_STEP, "metrics")
    promotion = promotion_of(run, "the production version labelled the rides")
    metrics["promotion"] = promotion["decision"]
    print_metrics(f"{TAXI.outputs} {settings.run_date} (run {run.name})", metrics)
    print(f"promotion: {promotion['decision']}: {promotion['reason']}")
    console.print(f"Plot: {plot_path(settings.run_date)}")
    return metrics


def _backfill(run_config, settings, dates, url: str, force: bool, metrics_out) -> dict:
    """Label `dates` in order, skipping what the production version labelled; a table at the
    end. A failing date stops the backfill: the dates before it stay labelled, so running the
    same command again resumes there."""
    from rich.table import Table

    from model_factory import sql
    from model_factory.integrations.zenml_lookup import stage_version
    from model_factory.reporting import console
    from model_factory.taxi import backfill
    from pipelines.taxi_detection import MODEL

    production = stage_version(MODEL.name, "production")
    version = production.name if production is not None else None
    engine = sql.engine_for(url)
    try:
        skip = backfill.to_skip(dates, backfill.labelled_by(engine, dates), version, force)
    finally:
        engine.dispose()
    rows = []
    for number, day in enumerate(dates, 1):
        progress = f"[{number}/{len(dates)}] {day}"
        if day in skip:
            console.print(f"{progress}: skipped, labelled by version {version} already")
            rows.append(
                {"run_date": day.isoformat(), "status": "skipped", "model_version": version}
            )
            continue
        console.print(f"{progress}: labelling")
        metrics = _detect_day(run_config, settings.model_copy(update={"run_date": day.isoformat()}))
        rows.append({
            "run_date": day.isoformat(), "status": "labelled",
            "model_version": metrics["model_version"], "rows_written": metrics["rows_written"],
            "anomalies": metrics["n_anomalies"],
        })  # fmt: skip
    table = Table(title=f"{TAXI.outputs} backfill {dates[0]} .. {dates[-1]}")
    for column in ("run date", "status", "model version", "rows", "anomalies"):
        table.add_column(column, justify="right" if column in ("rows", "anomalies") else "left")
    for row in rows:
        table.add_row(
            row["run_date"], row["status"], row["model_version"] or "-",
            str(row.get("rows_written", "-")), str(row.get("anomalies", "-")),
        )  # fmt: skip
    console.print(table)
    labelled = sum(row["status"] == "labelled" for row in rows)
    summary = {"from": dates[0].isoformat(), "to": dates[-1].isoformat(), "labelled": labelled,
               "skipped": len(rows) - labelled, "dates": rows}  # fmt: skip
    write_metrics(summary, metrics_out)
    return summary
