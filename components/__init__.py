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
from model_factory.config import KubeflowRegistration
from model_factory.integrations.kfp_compile import KfpPipeline
from model_factory.use_case import resolve
from model_factory.use_cases import BANK, FORECASTING, TAXI

# The flattened `kubeflow:` keys of a run config that say where a run registers its model.
REGISTRATION = frozenset(f"kubeflow_{key}" for key in KubeflowRegistration.model_fields)

PIPELINES: dict[str, KfpPipeline] = {
    "bank_training": KfpPipeline(
        build=bank_marketing.training_pipeline,
        params=resolve(BANK.training_params),
        config_file=BANK.training_config,
        # Whether and where the run registers its model (and offers it for staging) is fixed
        # when compiling: no registration task at all without a ZenML server configured.
        zenml_only=frozenset({"promote"}),
        compile_time=REGISTRATION,
    ),
    "taxi_detection": KfpPipeline(
        build=taxi_anomalies.detection_pipeline,
        params=resolve(TAXI.training_params),
        config_file=TAXI.training_config,
        # The URL comes from a Kubernetes Secret; promotion and drift-triggered retraining
        # (`model-factory retrain-if-drifted`) are ZenML operations (docs/continuous-training.md).
        zenml_only=frozenset({"db_url", "promote", "retrain"}),
        # With a ZenML server (fixed when compiling) the detector comes from its registry.
        compile_time=REGISTRATION,
    ),
    "forecast_training": KfpPipeline(
        build=lambda config: store_forecasting.training_pipeline(
            config.kubeflow.parallelism, config
        ),
        params=resolve(FORECASTING.training_params),
        config_file=FORECASTING.training_config,
        zenml_only=frozenset({"promote"}),
        # A ParallelFor bound is a constant; where to register is fixed as for bank_training.
        compile_time=frozenset({"kubeflow_parallelism"}) | REGISTRATION,
    ),
    "bank_monitor": KfpPipeline(
        build=bank_monitor.monitor_pipeline,
        params=continuous.BankMonitorAndRetrain,
        config_file=kubeflow_monitors.FILE,
        zenml_only=frozenset({"retraining_promote"}),
        # The nested retraining registers as bank_training does: where is compiled in.
        compile_time=frozenset(f"retraining_{key}" for key in REGISTRATION),
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
        # The reference (an exported version, not a registry lookup by model and stage) is what
        # is scored with, and the predictions are the run's dataset.
        zenml_only=frozenset({"scoring_model", "scoring_stage", "scoring_out_path"}),
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
        zenml_only=frozenset({"retraining_promote"}),
        # The nested retraining registers as forecast_training does: where is compiled in.
        compile_time=frozenset({"retraining_kubeflow_parallelism"})
        | {f"retraining_{key}" for key in REGISTRATION},
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
        # The reference is the production version; the URL comes from a Kubernetes Secret.
        zenml_only=frozenset({"scoring_stage", "scoring_db_url"}),
        load=partial(
            continuous.scoring_inputs,
            continuous.ForecastScoringWithReference,
            "forecast_monitor",
            FORECASTING.scoring_config,
        ),
    ),
}
