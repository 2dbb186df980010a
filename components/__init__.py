"""Kubeflow Pipelines: one module of components and a pipeline per use case, and their registry.

Adding a pipeline: a module here with `@component`s over the core and `INPUTS`
(`components.inputs.Inputs`: its run config's `parameters.config` type, less the keys that mean
nothing on KFP or are compiled in), whose `pipeline` decorator and `resolver` generate the
pipeline's inputs and its `resolve-config` task, then an entry below. `model-factory compile`
writes every entry to build/kfp/<name>.yaml.
"""

from collections.abc import Callable
from functools import partial
from types import ModuleType

from components import (
    bank_marketing,
    bank_monitor,
    bank_scoring,
    store_forecast_scoring,
    store_forecasting,
    store_monitor,
    taxi_anomalies,
)
from model_factory import continuous
from model_factory.kubeflow import monitors
from model_factory.kubeflow.compiler import KfpPipeline
from model_factory.use_case import UseCase
from model_factory.use_cases import BANK, FORECASTING, TAXI


def _entry(module: ModuleType, build: Callable, config_file: str, **load) -> KfpPipeline:
    """The pipeline `build` of `module`, whose `INPUTS` say its config type and its inputs."""
    return KfpPipeline(build=build, config_file=config_file, **module.INPUTS._asdict(), **load)


def _monitor(module: ModuleType, build: Callable, name: str, use_case: UseCase) -> KfpPipeline:
    """A monitor pipeline: its config is its section `name` of kubeflow_monitors.yaml, its
    monitor run config and its training run config."""
    files = (use_case.monitor_config, use_case.training_config)
    load = partial(continuous.monitor_inputs, module.INPUTS.params, name, *files)
    return _entry(module, build, monitors.FILE, load=load)


def _scoring(module: ModuleType, build: Callable, monitor: str, use_case: UseCase) -> KfpPipeline:
    """A scoring pipeline: its config is the reference its use case's `monitor` reads and its
    scoring run config."""
    file = use_case.scoring_config
    load = partial(continuous.scoring_inputs, module.INPUTS.params, monitor, file)
    return _entry(module, build, file, load=load)


PIPELINES: dict[str, KfpPipeline] = {
    "bank_training": _entry(bank_marketing, bank_marketing.training_pipeline, BANK.training_config),
    "taxi_detection": _entry(
        taxi_anomalies, taxi_anomalies.detection_pipeline, TAXI.training_config
    ),
    "forecast_training": _entry(
        store_forecasting,
        lambda config: store_forecasting.training_pipeline(config.kubeflow.parallelism, config),
        FORECASTING.training_config,
    ),
    "bank_monitor": _monitor(bank_monitor, bank_monitor.monitor_pipeline, "bank_monitor", BANK),
    "bank_scoring": _scoring(
        bank_scoring, lambda _config: bank_scoring.bank_scoring, "bank_monitor", BANK
    ),
    "forecast_monitor": _monitor(
        store_monitor,
        lambda config: store_monitor.monitor_pipeline(
            config.retraining.kubeflow.parallelism, config
        ),
        "forecast_monitor",
        FORECASTING,
    ),
    "forecast_scoring": _scoring(
        store_forecast_scoring,
        lambda _config: store_forecast_scoring.store_forecast_scoring,
        "forecast_monitor",
        FORECASTING,
    ),
}
