"""Store sales forecasting: load, validate, backtest (choose per store on validation, forecast the
holdout), evaluate against the seasonal-naive baseline, then refit the chosen models on all data."""

from zenml import Model, pipeline

from model_factory.forecasting.config import ForecastTrainingConfig
from steps import store_forecasting as s

MODEL = Model(
    name="store_sales_forecaster",
    description="Rossmann daily sales, one model per store (Prophet variants or seasonal naive)",
    tags=["store_forecasting", "forecasting"],
)


@pipeline(model=MODEL, enable_cache=False)
def store_forecasting_training(config: ForecastTrainingConfig) -> None:
    raw_sales, raw_stores = s.load_data(config)
    sales, stores = s.validate_data(raw_sales, raw_stores, config)
    holdout_forecasts, evaluated = s.backtest(sales, config)
    s.evaluate_forecasts(holdout_forecasts, evaluated, sales, stores, config)
    s.refit(sales, evaluated, config, after="evaluate_forecasts")


TRAINING = store_forecasting_training
METRICS_STEP = "evaluate_forecasts"
