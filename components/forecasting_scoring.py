"""Batch store forecasts on Kubeflow Pipelines with the production forecaster, into the
`store_forecasts` table of the staging database.

As for bank scoring, the forecaster and its version name come from the production reference
folder at `reference_uri` (`model-factory export-reference`), the one the monitor reads; the
staging database URL comes from its Kubernetes Secret (components/platform.py).
"""

from kfp import dsl

from components.inputs import Inputs
from components.platform import (
    alert_on_failure,
    component,
    reads_external_data,
    resources,
    staging_db,
)
from model_factory.continuous import ForecastScoringWithReference
from model_factory.use_cases import FORECASTING

# Not inputs: the reference is the production version; the URL comes from a Kubernetes Secret.
INPUTS = Inputs(
    ForecastScoringWithReference,
    frozenset({"scoring_stage", "scoring_db_url"}),
)
resolve_config = INPUTS.resolver()


@component
def forecast_stores(
    config_json: str, reference: dsl.Input[dsl.Artifact], forecasts: dsl.Output[dsl.Dataset]
) -> None:
    """Every store's forecast on the calendar file, or on the horizon after the cutoff."""
    from pathlib import Path

    from model_factory import continuous
    from model_factory.forecasting import batch
    from model_factory.forecasting.monitor import MODEL_NAME

    config = continuous.ForecastScoringWithReference.model_validate_json(config_json).scoring
    forecaster = continuous.load_reference(Path(reference.path), MODEL_NAME).model
    if config.calendar_path is None:
        calendar = batch.default_calendar(forecaster, config.horizon_days)
    else:
        calendar = batch.read_calendar(config.calendar_path)
        batch.check_calendar(calendar, forecaster, config.calendar_path)
    frame = batch.forecast_all(forecaster, calendar)
    frame.to_parquet(forecasts.path)
    forecasts.metadata["rows"] = len(frame)


@component
def write_forecasts(
    reference: dsl.Input[dsl.Artifact],
    forecasts: dsl.Input[dsl.Dataset],
    metrics: dsl.Output[dsl.Metrics],
) -> dict:
    """Replace this version's rows for these stores and dates at $MODEL_FACTORY_DB_URL;
    returns the summary the ZenML run reports."""
    from datetime import UTC, datetime
    from pathlib import Path

    import pandas as pd

    from model_factory import continuous, sql
    from model_factory.forecasting import sink
    from model_factory.paths import resolve_db_url

    version = (Path(reference.path) / continuous.VERSION_FILE).read_text().strip()
    frame = pd.read_parquet(forecasts.path)
    url = resolve_db_url(None, None)
    engine = sql.engine_for(url)
    try:
        written = sink.replace_forecasts(engine, frame, version, datetime.now(UTC))
    finally:
        engine.dispose()
    counts = {"n_stores": int(frame["Store"].nunique()), "rows_written": written}
    for name, value in counts.items():
        metrics.log_metric(name, value)
    return {
        **counts,
        "model_version": version,
        "first_date": frame["Date"].min().date().isoformat(),
        "last_date": frame["Date"].max().date().isoformat(),
        "table": sink.FORECASTS.name,
        "db_url": sql.safe_url(url),
    }


@INPUTS.pipeline(
    name="forecasting-scoring",
    description="Store sales: forecast every store with the production forecaster of the "
    "reference, into the staging database.",
)
@alert_on_failure(FORECASTING.model_name)
def forecasting_scoring(inputs: dict) -> None:
    """Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml (forecasting_monitor's)
    and `scoring_*` from zenml_config/forecasting_scoring.yaml, flattened, except `stage` (the
    reference is the production version) and `db_url` (the Secret in components/platform.py).
    The summary is the `write-forecasts` task's output."""
    resolved = resolve_config(**inputs)
    config = resolved.set_display_name("Check the run config").output
    reference = dsl.importer(artifact_uri=inputs["reference_uri"], artifact_class=dsl.Artifact)
    reference.set_display_name("Import the production reference")
    forecast = resources(
        reads_external_data(forecast_stores(config_json=config, reference=reference.output)),
        cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
    ).set_display_name("Forecast every store")  # fmt: skip
    staging_db(
        write_forecasts(reference=reference.output, forecasts=forecast.outputs["forecasts"])
    ).set_display_name("Write the forecasts to the staging database")
