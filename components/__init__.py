"""Kubeflow Pipelines: one module of components and a pipeline per use case, and their registry.

Adding a pipeline: a module here with `@component`s over the core and `INPUTS`
(`components.inputs.Inputs`: its run config's `parameters.config` type, less the keys that mean
nothing on KFP or are compiled in), whose `pipeline` decorator and `resolver` generate the
pipeline's inputs and its `resolve-config` task, then an entry below. `model-factory compile`
writes every entry to build/kfp/<name>.yaml. Components declare their artifacts with the names
`kfp.dsl` exports (`Input[Dataset]`: the task runs its source under `from kfp.dsl import *`) and
read and write them through model_factory/integrations/kubeflow/artifacts.py.
"""

from collections.abc import Callable
from functools import partial
from types import ModuleType

from components import (
    bank_monitor,
    bank_scoring,
    bank_training,
    forecasting_monitor,
    forecasting_scoring,
    forecasting_training,
    taxi_detection,
)
from model_factory import continuous
from model_factory.integrations.kubeflow import monitors
from model_factory.integrations.kubeflow.compiler import KfpPipeline
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
    "bank_training": _entry(bank_training, bank_training.training_pipeline, BANK.training_config),
    "taxi_detection": _entry(
        taxi_detection, taxi_detection.detection_pipeline, TAXI.training_config
    ),
    "forecasting_training": _entry(
        forecasting_training,
        lambda config: forecasting_training.training_pipeline(config.kubeflow.parallelism, config),
        FORECASTING.training_config,
    ),
    "bank_monitor": _monitor(bank_monitor, bank_monitor.monitor_pipeline, "bank_monitor", BANK),
    "bank_scoring": _scoring(bank_scoring, bank_scoring.scoring, "bank_monitor", BANK),
    "forecasting_monitor": _monitor(
        forecasting_monitor,
        lambda config: forecasting_monitor.monitor_pipeline(
            config.retraining.kubeflow.parallelism, config
        ),
        "forecasting_monitor",
        FORECASTING,
    ),
    "forecasting_scoring": _scoring(
        forecasting_scoring, forecasting_scoring.scoring, "forecasting_monitor", FORECASTING
    ),
}
