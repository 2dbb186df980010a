"""`predict`: batch scoring with the model version a stage holds."""

import os
from pathlib import Path

import typer

from model_factory.cli.base import (
    OUTPUT_RULE,
    ConfigOption,
    DbOption,
    MetricsOption,
    StageName,
    checked_output,
    predict_app,
    run_config_path,
    score_and_report,
    use_case_command,
)
from model_factory.use_cases import BANK, FORECASTING


@use_case_command(predict_app, "predict", BANK)
def predict_bank(
    data: Path | None = typer.Option(None, "--data", help="CSV to score (default: bank-full.csv)"),
    out: Path | None = typer.Option(
        None, "--out", callback=checked_output,
        help=f"Predictions CSV (default: outputs/; {OUTPUT_RULE})",
    ),
    stage: StageName = typer.Option("production", "--stage", help="Stage to score with"),
    model: str | None = typer.Option(
        None, "--model", help=f"Registered model to score with (default: {BANK.model_name})"
    ),
    config: Path | None = ConfigOption, metrics_out: Path | None = MetricsOption,
) -> dict:  # fmt: skip
    """Score a CSV: its columns plus probability, prediction (1 = positive), model_version,
    scored_at."""
    from model_factory.bank import data as bank_data
    from model_factory.bank import predict
    from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
    from model_factory.config import load_run_config
    from model_factory.integrations.zenml_lookup import require_stage_version
    from model_factory.outputs import check_writable
    from pipelines import bank_scoring

    run_config = load_run_config(run_config_path(config, BANK.scoring_config), BankScoringConfig)
    given = {"data_path": data, "out_path": out}
    settings = run_config.parameters.config.model_copy(
        update={k: str(v.resolve()) for k, v in given.items() if v is not None}
        | {"stage": stage.value}
        | ({"model": model} if model else {})
    )
    if settings.out_path:  # the config's, when no --out
        check_writable(settings.out_path)
    version = require_stage_version(settings.model, settings.stage)
    training = BankTrainingConfig.model_validate(version.run_metadata["config"])
    batch = bank_data.load_batch(settings)
    predict.validate_batch(batch, training, bank_data.batch_source(settings))
    return score_and_report(bank_scoring, run_config, settings, metrics_out)


@use_case_command(predict_app, "predict", FORECASTING)
def predict_forecasting(
    calendar: Path | None = typer.Option(
        None, "--calendar", help="Rossmann test.csv (default: --horizon days after the cutoff)"
    ),
    horizon: int | None = typer.Option(None, "--horizon", help="Days to forecast, no calendar"),
    db: str | None = DbOption,
    stage: StageName = typer.Option("production", "--stage", help="Stage to forecast with"),
    config: Path | None = ConfigOption,
    metrics_out: Path | None = MetricsOption,
) -> dict:
    """Forecast every store into the store_forecasts table (idempotent per model version)."""
    from model_factory.config import load_run_config, parse
    from model_factory.forecasting import batch
    from model_factory.forecasting.config import ForecastScoringConfig
    from model_factory.integrations.zenml_lookup import require_stage_version, version_artifact
    from model_factory.integrations.zenml_runs import use_project_sources
    from model_factory.paths import resolve_db_url
    from model_factory.sql import check_connection
    from pipelines import forecasting_scoring

    config_path = run_config_path(config, FORECASTING.scoring_config)
    run_config = load_run_config(config_path, ForecastScoringConfig)
    given = {"calendar_path": calendar and str(calendar.resolve()), "horizon_days": horizon}
    settings = parse(
        ForecastScoringConfig,
        run_config.parameters.config.model_dump()
        | {k: v for k, v in given.items() if v is not None}
        | {"stage": stage.value},
        "options",
    )
    version = require_stage_version(FORECASTING.model_name, settings.stage)
    if settings.calendar_path:
        use_project_sources()
        forecaster = version_artifact(version, FORECASTING.model_artifact).load()
        days = batch.read_calendar(settings.calendar_path)
        batch.check_calendar(days, forecaster, settings.calendar_path)
    check_connection(resolve_db_url(db, settings.db_url))
    if db:  # steps resolve the URL at run time: credentials stay out of ZenML's run records
        os.environ["MODEL_FACTORY_DB_URL"] = db
    return score_and_report(forecasting_scoring, run_config, settings, metrics_out)
