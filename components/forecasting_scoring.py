"""Batch store forecasts on Kubeflow Pipelines, into the `store_forecasts` table of the staging
database.

As for bank scoring, the forecaster and its version name come from the ZenML registry when the
scoring run config names a server (the version in `stage`), else from the production reference
folder at `reference_uri` (`model-factory export-reference`), the one the monitor reads
(components/scoring.py); the staging database URL comes from its Kubernetes Secret
(components/platform.py).
"""

from kfp.dsl import Artifact, Dataset, Input, Metrics, Output
from kfp.dsl.pipeline_channel import PipelineChannel

from components.inputs import Inputs
from components.platform import component, reads_external_data, resources, staging_db
from components.scoring import COMPILED, scoring_pipeline
from model_factory.continuous import ForecastScoringWithReference
from model_factory.use_cases import FORECASTING

# Inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml (forecasting_monitor's; not
# read with a ZenML server) and `scoring_*` from zenml_config/forecasting_scoring.yaml,
# flattened. Not inputs: the stage and the server are compiled in (components/scoring.py); the
# URL comes from a Kubernetes Secret (`db_url`).
INPUTS = Inputs(ForecastScoringWithReference, frozenset({"scoring_db_url"}), compile_time=COMPILED)


@component
def forecast_stores(
    config_json: str, reference: Input[Artifact], forecasts: Output[Dataset]
) -> None:
    """Every store's forecast on the calendar file, or on the horizon after the cutoff."""
    from pathlib import Path

    from model_factory import continuous
    from model_factory.forecasting import batch
    from model_factory.forecasting.use_case import USE_CASE
    from model_factory.integrations.kubeflow import artifacts

    config = continuous.ForecastScoringWithReference.model_validate_json(config_json).scoring
    forecaster = continuous.load_reference(Path(reference.path), USE_CASE.model_name).model
    if config.calendar_path is None:
        calendar = batch.default_calendar(forecaster, config.horizon_days)
    else:
        calendar = batch.read_calendar(config.calendar_path)
        batch.check_calendar(calendar, forecaster, config.calendar_path)
    artifacts.write_table(batch.forecast_all(forecaster, calendar), forecasts)


@component
def write_forecasts(
    reference: Input[Artifact], forecasts: Input[Dataset], metrics: Output[Metrics]
) -> dict:
    """Replace this version's rows for these stores and dates at $MODEL_FACTORY_DB_URL;
    returns the summary the ZenML run reports."""
    from datetime import UTC, datetime
    from pathlib import Path

    from model_factory import continuous, sql
    from model_factory.forecasting import sink
    from model_factory.integrations.kubeflow import artifacts
    from model_factory.paths import resolve_db_url

    version = (Path(reference.path) / continuous.VERSION_FILE).read_text().strip()
    frame = artifacts.read_table(forecasts)
    url = resolve_db_url(None, None)
    engine = sql.engine_for(url)
    try:
        written = sink.replace_forecasts(engine, frame, version, datetime.now(UTC))
    finally:
        engine.dispose()
    counts = {"n_stores": int(frame["Store"].nunique()), "rows_written": written}
    artifacts.log_metrics(metrics, counts)
    return {
        **counts,
        "model_version": version,
        **artifacts.version_id(reference),
        "first_date": frame["Date"].min().date().isoformat(),
        "last_date": frame["Date"].max().date().isoformat(),
        "table": sink.FORECASTS.name,
        "db_url": sql.safe_url(url),
    }


def _tasks(config: PipelineChannel, reference: PipelineChannel) -> None:
    """Forecast every store, then write the forecasts; the summary is the `write-forecasts`
    task's output."""
    forecast = resources(
        reads_external_data(forecast_stores(config_json=config, reference=reference)),
        cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
    ).set_display_name("Forecast every store")  # fmt: skip
    staging_db(
        write_forecasts(reference=reference, forecasts=forecast.outputs["forecasts"])
    ).set_display_name("Write the forecasts to the staging database")


scoring = scoring_pipeline(
    INPUTS,
    FORECASTING,
    "store forecaster",
    _tasks,
    description="Store sales: forecast every store with the forecaster in a stage (ZenML) or "
    "of the exported production reference, into the staging database.",
)
