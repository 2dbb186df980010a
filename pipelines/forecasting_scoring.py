"""Batch store forecasts with the forecaster in a stage, into the `store_forecasts` table."""

from zenml import pipeline

from model_factory.forecasting.config import ForecastScoringConfig
from model_factory.forecasting.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from model_factory.integrations.zenml_lookup import require_stage_version, version_artifact
from pipelines.forecasting_training import MODEL
from steps import forecasting_scoring as s


@pipeline(enable_cache=False, on_failure=failure_hook)
def forecasting_scoring(config: ForecastScoringConfig) -> None:
    """Forecast every store with the version in `config.stage` (its `store_forecaster` is
    this run's input). No version holder: bad input, no run."""
    version = require_stage_version(MODEL.name, config.stage)
    forecaster = version_artifact(version, USE_CASE.model_artifact)
    forecasts = s.forecast_stores(forecaster, config)
    s.write_forecasts(forecasts, version.name, config)


SCORING = forecasting_scoring
METRICS_STEP = "write_forecasts"
