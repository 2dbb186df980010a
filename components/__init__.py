"""Kubeflow Pipelines: one module of components and a pipeline per use case, and their registry.

Adding a pipeline: a module here with `@component`s over the core and a `@dsl.pipeline` whose
inputs are its run config's `parameters.config` flattened (model_factory/flat_config.py), then an
entry below. `model-factory compile` writes every entry to build/kfp/<name>.yaml.
"""

from collections.abc import Callable
from dataclasses import dataclass

from kfp.dsl.base_component import BaseComponent

from components import bank_marketing
from model_factory.bank.config import BankTrainingConfig
from model_factory.config import StrictModel


@dataclass(frozen=True)
class KfpPipeline:
    # The pipeline, given the validated run config (for compile-time settings like parallelism).
    build: Callable[[StrictModel], BaseComponent]
    params: type[StrictModel]
    config_file: str  # in zenml_config/: its values become the pipeline inputs' defaults
    zenml_only: frozenset[str] = frozenset()  # config keys with no meaning on KFP: not inputs


PIPELINES: dict[str, KfpPipeline] = {
    "bank_training": KfpPipeline(
        build=lambda _config: bank_marketing.bank_training,
        params=BankTrainingConfig,
        config_file="bank_training.yaml",
    ),
}
