"""`retrain-if-drifted` and `export-reference`: continuous training locally, and the
production reference the Kubeflow monitor pipelines read."""

from pathlib import Path

import typer

from model_factory import use_cases
from model_factory.cli.base import DbOption, MetricsOption, app, run_config_path, use_case_named
from model_factory.cli.monitoring import monitor_file, monitor_taxi
from model_factory.cli.training import detect_taxi, train_bank, train_forecasting
from model_factory.errors import DriftDetected, InputError
from model_factory.use_case import UseCase, resolve
from model_factory.use_cases import BANK, FORECASTING, TAXI

USE_CASE_HELP = f"Use case: {', '.join(use_cases.names())}"


RETRAINABLE = (BANK, FORECASTING, TAXI)


@app.command("retrain-if-drifted")
def retrain_if_drifted(
    name: str = typer.Argument(..., metavar="USE_CASE", help=USE_CASE_HELP),
    data: str | None = typer.Option(
        None, "--data", help="Recent batch with outcomes (y / Sales), a file or gs:// or s3:// URI"
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
    from model_factory.integrations.zenml_drift import monitored_version, record_retraining
    from model_factory.reporting import console

    use_case = use_case_named(name)
    model = use_case.model_name
    if use_case not in RETRAINABLE:  # each builds its retraining window its own way, below
        known = ", ".join(u.name for u in RETRAINABLE)
        raise InputError(f"{model}: retrain-if-drifted knows how to retrain {known} only")
    taxi = use_case is TAXI  # its batch is a labelled run date in the DB, not a file
    if taxi and (run_date is None or data is not None):
        raise InputError(f"{model}: pass --run-date D (its rides come from the DB)")
    if not taxi and (data is None or run_date is not None or db is not None):
        raise InputError(f"{model}: pass --data PATH (--run-date and --db are taxi's)")
    source = f"run date {run_date}" if taxi else Path(data).name
    if use_case is FORECASTING:  # before anything is recorded
        holdout = _retraining_holdout(data, config)
    try:
        if taxi:
            monitor_taxi(run_date, db, None, None)
        else:
            monitor_file(use_case, data, None, None)
    except DriftDetected as drift:
        production = monitored_version(model)
        reason = f"drift against production version {production.name} on {source}: {drift}"
    else:
        console.print("no drift: nothing retrained")
        return None
    console.print(f"{reason}; retraining")
    if taxi:
        metrics = _retrain_taxi(run_date, db, config, metrics_out, production)
    elif use_case is BANK:
        metrics = train_bank(_retraining_window(use_case, data, production), config, metrics_out)
    else:  # forecasting
        window = _retraining_window(use_case, data, production)
        metrics = train_forecasting(window, None, config, metrics_out, holdout)
    version = metrics["model_version"]
    record_retraining(model, version, reason)
    console.print(f"version {version} retrained after {production.name}: {metrics['promotion']}")
    return metrics


def _retraining_holdout(data: str, config: Path | None) -> int:
    """The forecaster's holdout days when retraining with `data` as the recent batch
    (model_factory.forecasting.data.retraining_holdout: at most half the batch)."""
    from model_factory.config import load_run_config
    from model_factory.forecasting import data as forecast_data
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.validation import read_table

    path = run_config_path(config, FORECASTING.training_config)
    configured = load_run_config(path, ForecastTrainingConfig).parameters.config.holdout_days
    batch = read_table(data, **forecast_data.CSV_OPTIONS)
    return forecast_data.retraining_holdout(batch, configured)


def _retraining_window(use_case: UseCase, data: str, version) -> Path:
    """Reference plus recent as a CSV beside the outputs: the production `version`'s training
    data (bank: its recorded source; forecasting: its `sales` artifact) and the batch (taxi:
    see `_retrain_taxi`)."""
    from datetime import UTC, datetime

    from model_factory import outputs
    from model_factory.paths import output_dir
    from model_factory.validation import read_table, written_separator

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    if use_case is BANK:
        from model_factory.bank import data as bank_data
        from model_factory.bank.config import BankTrainingConfig

        recorded = BankTrainingConfig.model_validate(version.run_metadata["config"])
        batch = read_table(data, sep=recorded.csv_separator)
        window = bank_data.with_recent(bank_data.load(recorded), batch, recorded)
        path = output_dir(use_case.outputs) / f"retrain_{stamp}.csv"
        outputs.write_csv(window, path, sep=written_separator(recorded.csv_separator))
    else:
        from model_factory.forecasting import data as forecast_data
        from model_factory.integrations.zenml_lookup import version_artifact

        rescorer = resolve(use_case.rescorer).RESCORER  # knows the version's training data
        history = version_artifact(version, rescorer.train_artifact).load()
        batch = read_table(data, **forecast_data.CSV_OPTIONS)
        window = forecast_data.with_recent(history, batch)
        path = output_dir(use_case.outputs) / f"retrain_{stamp}.csv"
        outputs.write_csv(window.assign(Date=window["Date"].dt.strftime("%Y-%m-%d")), path)
    return path


@app.command("export-reference")
def export_reference(
    name: str = typer.Argument(..., metavar="USE_CASE", help=USE_CASE_HELP),
    to: str = typer.Option(
        ..., "--to", help="Folder or s3:// / gs:// URI to write: the monitors' reference_uri"
    ),
) -> None:
    """Write the production version's reference profile, model and name to a folder: what the
    Kubeflow monitor pipelines read at `reference_uri` (zenml_config/kubeflow_monitors.yaml).
    Run it after each promotion to production (a KFP run has no ZenML store to look it up in).
    An existing folder is replaced whole, and only if an earlier export wrote it."""
    from model_factory.continuous import VERSION_FILE, exported_model
    from model_factory.outputs import check_folder_writable

    model = use_case_named(name).model_name
    exported_model(model)  # a use case without Kubeflow monitors is bad input
    check_folder_writable(to, VERSION_FILE)

    from model_factory.integrations.zenml_drift import export_reference as export

    version = export(model, to)
    print(f"{model} version {version} (production): {to}")


def _retrain_taxi(run_date: str, db: str | None, config: Path | None, metrics_out, production):
    """A detection run of `run_date` that also fits a version (`retrain`): its reference is the
    production version's reference window plus the day's labelled rides, its rides the day's
    (so production relabels the same rides). The run config used is written beside the window.
    Returns the new version's F1, name and promotion decision."""
    from datetime import UTC, datetime

    import pandas as pd
    import yaml

    from model_factory import outputs
    from model_factory.config import read_yaml
    from model_factory.integrations import zenml_stages
    from model_factory.paths import output_dir, resolve_db_url
    from model_factory.reporting import write_metrics
    from model_factory.taxi import data as taxi_data
    from model_factory.taxi import monitor as taxi_monitor
    from model_factory.taxi.config import TaxiDetectionConfig, parse_run_date

    recorded = TaxiDetectionConfig.model_validate(production.run_metadata["config"])
    raw = read_yaml(run_config_path(config, TAXI.training_config))
    url = resolve_db_url(db, raw["parameters"]["config"].get("db_url"))
    columns = ["ride_id", "ride_dist", "ride_time"]
    day = taxi_monitor.read_day(url, parse_run_date(run_date))[columns]
    reference = taxi_data.load_reference(recorded)[columns]
    window = pd.concat(
        [
            reference.assign(ride_id="reference:" + reference["ride_id"].astype(str)),
            day.assign(ride_id=f"{run_date}:" + day["ride_id"].astype(str)),
        ]
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = output_dir(TAXI.outputs)
    paths = {k: folder / f"retrain_{stamp}_{k}" for k in ("rides.csv", "window.csv", "run.yaml")}
    outputs.write_csv(day, paths["rides.csv"])
    outputs.write_csv(window, paths["window.csv"])
    raw["parameters"]["config"].update(reference_path=str(paths["window.csv"]), retrain=True)
    outputs.write_text(paths["run.yaml"], yaml.safe_dump(raw, sort_keys=False))

    model = zenml_stages.get_model(production.model.name)
    before = {v.name for v in zenml_stages.versions(model)}
    labelled = detect_taxi(
        run_date, None, None, False, paths["rides.csv"], db, paths["run.yaml"], None, None
    )
    [new] = [v for v in zenml_stages.versions(model) if v.name not in before]
    metrics = {**new.run_metadata["metrics"], "model_version": new.name,
               "promotion": labelled["promotion"], "reference_rows": len(window)}  # fmt: skip
    write_metrics(metrics, metrics_out)
    return metrics
