"""Kubeflow Pipelines: one module of components and a pipeline per use case, and their registry.

Adding a pipeline: a module here with `@component`s over the core and a pipeline declared with
`components.inputs.flat_pipeline`, whose inputs and `resolve-config` task are generated from its
run config's `parameters.config` type (flattened: model_factory/flat_config.py) less the keys
the module names as ZenML-only or compiled in, then an entry below. `model-factory compile`
writes every entry to build/kfp/<name>.yaml.
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
from model_factory.integrations.kfp_compile import KfpPipeline
from model_factory.use_case import resolve
from model_factory.use_cases import BANK, FORECASTING, TAXI

PIPELINES: dict[str, KfpPipeline] = {
    "bank_training": KfpPipeline(
        build=bank_marketing.training_pipeline,
        params=resolve(BANK.training_params),
        config_file=BANK.training_config,
        zenml_only=bank_marketing.ZENML_ONLY,
        compile_time=bank_marketing.COMPILE_TIME,
    ),
    "taxi_detection": KfpPipeline(
        build=lambda _config: taxi_anomalies.taxi_detection,
        params=resolve(TAXI.training_params),
        config_file=TAXI.training_config,
        zenml_only=taxi_anomalies.ZENML_ONLY,
    ),
    "forecast_training": KfpPipeline(
        build=lambda config: store_forecasting.training_pipeline(
            config.kubeflow.parallelism, config
        ),
        params=resolve(FORECASTING.training_params),
        config_file=FORECASTING.training_config,
        zenml_only=store_forecasting.ZENML_ONLY,
        compile_time=store_forecasting.COMPILE_TIME,
    ),
    "bank_monitor": KfpPipeline(
        build=bank_monitor.monitor_pipeline,
        params=continuous.BankMonitorAndRetrain,
        config_file=kubeflow_monitors.FILE,
        zenml_only=bank_monitor.ZENML_ONLY,
        compile_time=bank_monitor.COMPILE_TIME,
        load=partial(
            continuous.monitor_inputs,
            continuous.BankMonitorAndRetrain,
            "bank_monitor",
            BANK.monitor_config,
            BANK.training_config,
        ),
    ),
    "bank_scoring": KfpPipeline(
        build=lambda _config: bank_scoring.bank_scoring,
        params=continuous.BankScoringWithReference,
        config_file=BANK.scoring_config,
        zenml_only=bank_scoring.ZENML_ONLY,
        load=partial(
            continuous.scoring_inputs,
            continuous.BankScoringWithReference,
            "bank_monitor",
            BANK.scoring_config,
        ),
    ),
    "forecast_monitor": KfpPipeline(
        build=lambda config: store_monitor.monitor_pipeline(
            config.retraining.kubeflow.parallelism, config
        ),
        params=continuous.ForecastMonitorAndRetrain,
        config_file=kubeflow_monitors.FILE,
        zenml_only=store_monitor.ZENML_ONLY,
        compile_time=store_monitor.COMPILE_TIME,
        load=partial(
            continuous.monitor_inputs,
            continuous.ForecastMonitorAndRetrain,
            "forecast_monitor",
            FORECASTING.monitor_config,
            FORECASTING.training_config,
        ),
    ),
    "forecast_scoring": KfpPipeline(
        build=lambda _config: store_forecast_scoring.store_forecast_scoring,
        params=continuous.ForecastScoringWithReference,
        config_file=FORECASTING.scoring_config,
        zenml_only=store_forecast_scoring.ZENML_ONLY,
        load=partial(
            continuous.scoring_inputs,
            continuous.ForecastScoringWithReference,
            "forecast_monitor",
            FORECASTING.scoring_config,
        ),
    ),
}
