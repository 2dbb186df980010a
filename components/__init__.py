"""Kubeflow Pipelines: one module of components and a pipeline per use case, and their registry.

Adding a pipeline: a module here with `@component`s over the core and a `@dsl.pipeline` whose
inputs are its run config's `parameters.config` flattened (model_factory/flat_config.py), then an
entry below. `model-factory compile` writes every entry to build/kfp/<name>.yaml.
"""

from components import bank_marketing, store_forecasting, taxi_anomalies
from model_factory.bank.config import BankTrainingConfig
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.integrations.kfp_compile import KfpPipeline
from model_factory.taxi.config import TaxiDetectionConfig

PIPELINES: dict[str, KfpPipeline] = {
    "bank_training": KfpPipeline(
        build=lambda _config: bank_marketing.bank_training,
        params=BankTrainingConfig,
        config_file="bank_training.yaml",
        zenml_only=frozenset({"promote"}),  # promotion is a ZenML operation (DESIGN §4)
    ),
    "taxi_detection": KfpPipeline(
        build=lambda _config: taxi_anomalies.taxi_detection,
        params=TaxiDetectionConfig,
        config_file="taxi_detection.yaml",
        # The URL comes from a Kubernetes Secret; promotion and drift-triggered retraining
        # (`model-factory retrain-if-drifted`) are ZenML operations (DESIGN §4).
        zenml_only=frozenset({"db_url", "promote", "retrain"}),
    ),
    "forecast_training": KfpPipeline(
        build=lambda config: store_forecasting.training_pipeline(config.kubeflow.parallelism),
        params=ForecastTrainingConfig,
        config_file="forecast_training.yaml",
        zenml_only=frozenset({"promote"}),
        compile_time=frozenset({"kubeflow_parallelism"}),  # a ParallelFor bound is a constant
    ),
}
