"""`monitor` and `sample-batch`: drift of a batch against the production reference, and
synthetic batches (fresh or shifted) to try it on."""

import os
from enum import StrEnum
from pathlib import Path

import typer

from model_factory.cli.base import (
    CONFIG_DIR,
    OUTPUT_RULE,
    ConfigOption,
    DataOption,
    DbOption,
    MetricsOption,
    RunDateOption,
    app,
    checked_output,
    monitor_app,
    run_config_path,
)
from model_factory.errors import DriftDetected, InputError


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

    run_config = load_run_config(run_config_path(config, config_name), params)
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
        run_config_path(config, "taxi_monitor.yaml"), monitor.TaxiMonitorConfig
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


class BatchKind(StrEnum):
    bank_marketing = "bank-marketing"
    store_forecasting = "store-forecasting"
    taxi_rides = "taxi-rides"


@app.command("sample-batch")
def sample_batch(
    kind: BatchKind = typer.Argument(..., help="Which batch"),
    out: Path = typer.Option(
        ..., "--out", callback=checked_output, help=f"CSV to write ({OUTPUT_RULE})"
    ),
    shift: bool = typer.Option(False, "--shift", help="Apply the use case's synthetic shift"),
    seed: int = typer.Option(0, "--seed", help="Seeds the draw and the shift"),
    run_date: str = typer.Option("2024-06-01", "--run-date", help="taxi-rides: the day"),
) -> None:
    """Write a fresh batch for `monitor` (or `detect`), optionally shifted: bank customers
    outside bank.csv (shift: job mix, lower balances); the 6 weeks after the default synthetic
    sales (shift: level change, lost promo effect, weekend trade moved to weekdays for some
    stores); a day of synthetic
    rides (shift: longer rides)."""
    from model_factory import outputs
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
    outputs.write_csv(frame, out, sep=separator)
    console.print(f"{out}: {len(frame):,} rows{'; ' + note if note else ''}")
