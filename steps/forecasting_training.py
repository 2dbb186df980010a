"""ZenML steps of the store forecasting pipeline: adapters over `model_factory.forecasting`."""

from typing import Annotated

import pandas as pd
from PIL import Image
from zenml import ArtifactConfig, step
from zenml.enums import ArtifactType

from model_factory import plots, provenance
from model_factory.drift.profile import ReferenceProfile
from model_factory.forecasting import comparison, data, evaluate, monitor, train
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.forecasting.forecaster import StoreForecaster
from model_factory.forecasting.use_case import USE_CASE
from model_factory.integrations.forecast_materializer import StoreForecasterMaterializer
from model_factory.integrations.frame_materializer import HashedPandasMaterializer
from model_factory.integrations.zenml_models import record_training
from model_factory.paths import output_dir
from steps.caching import pure


@step(output_materializers=HashedPandasMaterializer)
def load_data(
    config: ForecastTrainingConfig,
) -> tuple[Annotated[pd.DataFrame, "raw_sales"], Annotated[pd.DataFrame, "raw_stores"]]:
    raw_sales, raw_stores = data.load(config)
    return raw_sales, raw_stores


@step(**pure("model_factory.forecasting.data", "model_factory.validation"))
def validate_data(
    raw_sales: pd.DataFrame, raw_stores: pd.DataFrame, config: ForecastTrainingConfig
) -> tuple[Annotated[pd.DataFrame, "sales"], Annotated[pd.DataFrame, "stores"]]:
    sales = data.validate(raw_sales, config)
    stores = data.validate_stores(raw_stores, sales)
    return sales, stores


@step(output_materializers={"evaluated_forecaster": StoreForecasterMaterializer})
def backtest(
    sales: pd.DataFrame, config: ForecastTrainingConfig
) -> tuple[
    Annotated[pd.DataFrame, "holdout_forecasts"],
    Annotated[StoreForecaster, "evaluated_forecaster"],
]:
    holdout_forecasts, evaluated_forecaster = train.backtest(sales, config)
    return holdout_forecasts, evaluated_forecaster


@step
def evaluate_forecasts(
    holdout_forecasts: pd.DataFrame,
    evaluated_forecaster: StoreForecaster,
    sales: pd.DataFrame,
    stores: pd.DataFrame,
    config: ForecastTrainingConfig,
) -> tuple[
    Annotated[dict, "metrics"],
    Annotated[pd.DataFrame, "store_metrics"],
    Annotated[Image.Image, "forecast_plot"],
    Annotated[ReferenceProfile, "reference_profile"],
]:
    metrics = evaluate.pooled_metrics(holdout_forecasts, evaluated_forecaster)
    store_metrics = evaluate.store_metrics(holdout_forecasts, evaluated_forecaster, stores)
    out = output_dir(USE_CASE.outputs)
    store_metrics.to_csv(out / "store_metrics.csv", index=False)
    shown = evaluate.plot_stores(store_metrics, config.plot_stores)
    figure = evaluate.forecast_figure(holdout_forecasts, sales, store_metrics, shown)
    forecast_plot = plots.save(figure, out / "forecast.png")
    window = data.windows(sales, config)
    cutoffs = train.cutoffs(window, config)
    version = record_training(
        metrics,
        config,
        provenance.data_fingerprint(sales),
        **window.as_metadata(),
        **cutoffs,
        candidates=evaluated_forecaster.candidate_counts(),
        holdout=comparison.holdout(window, cutoffs["training_cutoff"]),
    )
    profile = monitor.build_profile(holdout_forecasts, metrics)
    return {**metrics, "model_version": version}, store_metrics, forecast_plot, profile


@step(output_materializers={USE_CASE.model_artifact: StoreForecasterMaterializer})
def refit(
    sales: pd.DataFrame, evaluated_forecaster: StoreForecaster, config: ForecastTrainingConfig
) -> Annotated[
    StoreForecaster, ArtifactConfig(name=USE_CASE.model_artifact, artifact_type=ArtifactType.MODEL)
]:
    return train.refit(sales, evaluated_forecaster, config)
