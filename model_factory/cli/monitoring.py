"""`monitor` and `sample-batch`: drift of a batch against the production reference, and
synthetic batches (fresh or shifted) to try it on."""

import os
from pathlib import Path

import typer

from model_factory.cli.base import (
    OUTPUT_RULE,
    ConfigOption,
    DataOption,
    DbOption,
    MetricsOption,
    RunDateOption,
    app,
    checked_output,
    data_location,
    deprecated,
    monitor_app,
    run_config_path,
    use_case_command,
)
from model_factory.errors import DriftDetected, InputError
from model_factory.use_case import UseCase, resolve
from model_factory.use_cases import BANK, FORECASTING, TAXI, by_name, names
from model_factory.use_cases import all as all_use_cases


@use_case_command(monitor_app, "monitor", BANK)
def monitor_bank(
    data: str | None = DataOption,
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:
    """Feature, probability and (with outcomes `y`) ROC-AUC drift of a customer batch."""
    return monitor_file(BANK, data, config, metrics_out)


@use_case_command(monitor_app, "monitor", FORECASTING)
def monitor_forecasting(
    data: str | None = DataOption,
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:
    """Per-store level and promotion effect, forecast and RMSPE drift of actual sales."""
    return monitor_file(FORECASTING, data, config, metrics_out)


def monitor_file(
    use_case: UseCase, data: str | None, config: Path | None, metrics_out: Path | None
) -> dict:
    """Monitor a batch file with a use case's `monitor` module; bad batches exit 2 first."""
    from model_factory.config import load_run_config

    monitor = resolve(use_case.monitor)
    params = resolve(use_case.monitor_params)
    run_config = load_run_config(run_config_path(config, use_case.monitor_config), params)
    settings = run_config.parameters.config
    if data is not None:
        settings = settings.model_copy(update={"data_path": data_location(data)})
    profile = _monitor_profile(use_case.model_name, settings.data_path)
    monitor.validate_batch(monitor.load_batch(settings), profile, settings.data_path)
    return _monitor_and_report(use_case, run_config, settings, metrics_out)


@use_case_command(monitor_app, "monitor", TAXI)
def monitor_taxi(
    run_date: str = RunDateOption,
    db: str | None = DbOption,
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:
    """Ride distance, time, speed and anomaly-rate drift of one labelled run date."""
    from model_factory.config import load_run_config, parse
    from model_factory.drift.profile import require_batch
    from model_factory.paths import resolve_db_url
    from model_factory.taxi import monitor

    run_config = load_run_config(
        run_config_path(config, TAXI.monitor_config), monitor.TaxiMonitorConfig
    )
    settings = parse(
        monitor.TaxiMonitorConfig,
        {**run_config.parameters.config.model_dump(), "run_date": run_date},
        "options",
    )
    profile = _monitor_profile(TAXI.model_name, "")
    url = resolve_db_url(db, settings.db_url)
    require_batch(monitor.read_day(url, settings.day), profile, f"run date {run_date}")
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db
    return _monitor_and_report(TAXI, run_config, settings, metrics_out)


def _monitor_profile(model: str, data_path: str | None):
    """The production version's profile; no batch, no version or no profile: exit 2."""
    from model_factory.integrations.zenml_drift import monitored_version, reference_profile

    if data_path is None:
        raise InputError("no batch given: pass --data PATH (or set data_path in the config)")
    return reference_profile(monitored_version(model))


def _monitor_and_report(use_case: UseCase, run_config, settings, metrics_out: Path | None) -> dict:
    """Run the monitor pipeline, print the table, write metrics; drift raises (exit 4)."""
    from importlib import import_module

    from model_factory.drift import report
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from model_factory.reporting import console, write_metrics

    pipeline_module = import_module(use_case.monitor_pipeline)
    run = run_with_config(pipeline_module.MONITOR, run_config, settings)
    drift = step_output(run, pipeline_module.REPORT_STEP, "drift_report")
    metrics = step_output(run, pipeline_module.METRICS_STEP, "metrics")
    write_metrics(metrics, metrics_out)
    console.print(report.table(drift))
    console.print(f"Report: {report.html_path(use_case.outputs)} (run {run.name})")
    if drift.drifted:
        raise DriftDetected(
            f"{len(drift.drifted_checks)} check(s): " + ", ".join(drift.drifted_checks)
        )
    console.print("no drift")
    return metrics


OLD_BATCH_KINDS = {"taxi-rides": TAXI}  # names before short names, besides `old_name`s


@app.command("sample-batch")
def sample_batch(
    kind: str = typer.Argument(..., help=f"Which use case's batch: {', '.join(names())}"),
    out: Path = typer.Option(
        ..., "--out", callback=checked_output, help=f"CSV to write ({OUTPUT_RULE})"
    ),
    shift: bool = typer.Option(False, "--shift", help="Apply the use case's synthetic shift"),
    seed: int = typer.Option(0, "--seed", help="Seeds the draw and the shift"),
    run_date: str = typer.Option("2024-06-01", "--run-date", help="taxi: the day"),
) -> None:
    """Write a fresh batch for `monitor` (or `detect`), optionally shifted: bank customers
    outside bank.csv (shift: job mix, lower balances); the 6 weeks after the default synthetic
    sales (shift: level change, lost promo effect, weekend trade moved to weekdays for some
    stores); a day of synthetic
    rides (shift: longer rides)."""
    from model_factory import outputs
    from model_factory.reporting import console

    use_case = _batch_kind(kind)
    try:
        shift_module = resolve(use_case.shift)
    except ModuleNotFoundError as missing:
        if missing.name != use_case.shift:
            raise
        raise InputError(f"{use_case.name} has no sample batches") from None
    frame, note, separator = shift_module.sample_batch(seed, shift, run_date)
    outputs.write_csv(frame, out, sep=separator)
    console.print(f"{out}: {len(frame):,} rows{'; ' + note if note else ''}")


def _batch_kind(kind: str) -> UseCase:
    """A use case's short name; its old CLI name still works, with a note."""
    old = OLD_BATCH_KINDS.get(kind) or next(
        (u for u in all_use_cases() if kind == u.old_name), None
    )
    if old is not None:
        deprecated(f"sample-batch {kind}", f"sample-batch {old.name}")
        return old
    return by_name(kind)
