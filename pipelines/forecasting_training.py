"""Store sales forecasting: load, validate, backtest (choose per store on validation, forecast the
holdout), evaluate against the seasonal-naive baseline, refit the chosen models on all data, and
offer the version for staging once its model exists."""

from zenml import Model, pipeline

from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.forecasting.use_case import USE_CASE
from model_factory.integrations.zenml_alerts import failure_hook
from steps import forecasting_training as s
from steps.promotion import promote

MODEL = Model(
    name=USE_CASE.model_name,
    description="Rossmann daily sales, one model per store (Prophet variants or seasonal naive)",
    tags=["forecasting"],
)


@pipeline(model=MODEL, enable_cache=False, on_failure=failure_hook)
def forecasting_training(config: ForecastTrainingConfig) -> None:
    raw_sales, raw_stores = s.load_data(config)
    sales, stores = s.validate_data(raw_sales, raw_stores, config)
    holdout_forecasts, evaluated = s.backtest(sales, config)
    metrics, _, _, _ = s.evaluate_forecasts(holdout_forecasts, evaluated, sales, stores, config)
    s.refit(sales, evaluated, config, after="evaluate_forecasts")
    promote(metrics, use_case=USE_CASE.name, enabled=config.promote, after="refit")


TRAINING = forecasting_training
METRICS_STEP = "evaluate_forecasts"
