"""Kubeflow Pipelines: one module of components and a pipeline per use case, and their registry.

Adding a pipeline: a module here with `@component`s over the core and a `@dsl.pipeline` whose
inputs are its run config's `parameters.config` flattened (model_factory/flat_config.py), then an
entry below. `model-factory compile` writes every entry to build/kfp/<name>.yaml.
"""

from functools import partial

from components import (
    bank_marketing,
    bank_monitor,
    bank_scoring,
    store_forecast_scoring,
    store_forecasting,
    store_monitor,
    taxi_anomalies,
)
from model_factory import continuous, kubeflow_monitors
from model_factory.bank.config import BankTrainingConfig
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.integrations.kfp_compile import KfpPipeline
from model_factory.taxi.config import TaxiDetectionConfig

PIPELINES: dict[str, KfpPipeline] = {
    "bank_training": KfpPipeline(
        build=lambda _config: bank_marketing.bank_training,
        params=BankTrainingConfig,
        config_file="bank_training.yaml",
        zenml_only=frozenset({"promote"}),  # promotion is a ZenML operation, not a KFP task
    ),
    "taxi_detection": KfpPipeline(
        build=lambda _config: taxi_anomalies.taxi_detection,
        params=TaxiDetectionConfig,
        config_file="taxi_detection.yaml",
        # The URL comes from a Kubernetes Secret; promotion and drift-triggered retraining
        # (`model-factory retrain-if-drifted`) are ZenML operations (docs/continuous-training.md).
        zenml_only=frozenset({"db_url", "promote", "retrain"}),
    ),
    "forecast_training": KfpPipeline(
        build=lambda config: store_forecasting.training_pipeline(config.kubeflow.parallelism),
        params=ForecastTrainingConfig,
        config_file="forecast_training.yaml",
        zenml_only=frozenset({"promote"}),
        compile_time=frozenset({"kubeflow_parallelism"}),  # a ParallelFor bound is a constant
    ),
    "bank_monitor": KfpPipeline(
        build=lambda _config: bank_monitor.bank_monitor,
        params=continuous.BankMonitorAndRetrain,
        config_file=kubeflow_monitors.FILE,
        zenml_only=frozenset({"retraining_promote"}),  # promotion is a ZenML operation
        load=partial(
            continuous.monitor_inputs,
            continuous.BankMonitorAndRetrain,
            "bank_monitor",
            "bank_monitor.yaml",
            "bank_training.yaml",
        ),
    ),
    "bank_scoring": KfpPipeline(
        build=lambda _config: bank_scoring.bank_scoring,
        params=continuous.BankScoringWithReference,
        config_file="bank_scoring.yaml",
        # The reference is the production version, and the predictions the run's dataset.
        zenml_only=frozenset({"scoring_stage", "scoring_out_path"}),
        load=partial(
            continuous.scoring_inputs,
            continuous.BankScoringWithReference,
            "bank_monitor",
            "bank_scoring.yaml",
        ),
    ),
    "forecast_monitor": KfpPipeline(
        build=lambda config: store_monitor.monitor_pipeline(config.retraining.kubeflow.parallelism),
        params=continuous.ForecastMonitorAndRetrain,
        config_file=kubeflow_monitors.FILE,
        zenml_only=frozenset({"retraining_promote"}),
        compile_time=frozenset({"retraining_kubeflow_parallelism"}),
        load=partial(
            continuous.monitor_inputs,
            continuous.ForecastMonitorAndRetrain,
            "forecast_monitor",
            "forecast_monitor.yaml",
            "forecast_training.yaml",
        ),
    ),
    "forecast_scoring": KfpPipeline(
        build=lambda _config: store_forecast_scoring.store_forecast_scoring,
        params=continuous.ForecastScoringWithReference,
        config_file="forecast_scoring.yaml",
        # The reference is the production version; the URL comes from a Kubernetes Secret.
        zenml_only=frozenset({"scoring_stage", "scoring_db_url"}),
        load=partial(
            continuous.scoring_inputs,
            continuous.ForecastScoringWithReference,
            "forecast_monitor",
            "forecast_scoring.yaml",
        ),
    ),
}
