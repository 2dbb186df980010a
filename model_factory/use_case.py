"""What a use case is: one object naming everything the shared code needs to know about it.

Each use-case subpackage declares its `USE_CASE` in `<package>/use_case.py`, and
`model_factory/use_cases.py` lists them. The CLI, promotion, drift and continuous training
look a use case up there (by short name or by registered model name) instead of keeping
tables of their own. Code is named by import path ("module" or "module:attribute") and
imported only when used, so reading the registry imports no framework and no model library.
"""

from dataclasses import dataclass
from importlib import import_module
from typing import Any, NamedTuple


def resolve(path: str) -> Any:
    """The object an import path names: "package.module" or "package.module:attribute"."""
    module, _, attribute = path.partition(":")
    loaded = import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


class SampleBatch(NamedTuple):
    """A batch `model-factory sample-batch` writes: rows, what was shifted, the CSV separator."""

    frame: Any
    note: str
    separator: str


@dataclass(frozen=True)
class ExportedModel:
    """How a version's model is written to, and read from, an exported reference folder (what
    the Kubeflow monitor and scoring pipelines read, having no model registry)."""

    file: str  # file or folder name inside the reference folder
    save: str  # import path of save(model, path)
    load: str  # import path of load(path) -> model


@dataclass(frozen=True)
class UseCase:
    name: str  # short name: the CLI's, e.g. `model-factory train bank`
    model_name: str  # the registered model: users' versions, stages and history live under it
    model_artifact: str  # the artifact holding the fitted model in each version
    outputs: str  # folder under $MODEL_FACTORY_HOME for plots, reports and retraining windows
    package: str  # the use case's subpackage of the framework-free core
    training_pipeline: str  # module exposing the run (`TRAINING` or `DETECTION`), `METRICS_STEP`
    training_config: str  # run config file in zenml_config/
    training_params: str  # import path of the training config type (`parameters.config`)
    monitor_pipeline: str  # module exposing `MONITOR`, `REPORT_STEP`, `METRICS_STEP`
    monitor_config: str
    monitor_params: str  # import path of the monitor config type
    rescorer: str  # module exposing `RESCORER` for fair comparison (model_factory.fair_comparison)
    scoring_pipeline: str | None = None  # module exposing `SCORING`, `METRICS_STEP`
    scoring_config: str | None = None
    scoring_params: str | None = None
    # Continuous training on Kubeflow: the exported reference's model and the module with
    # `holdout(config)` and `write_window(config, path)` for the retraining run.
    exported_model: ExportedModel | None = None
    kubeflow_retraining: str | None = None
    # The CLI's name before short names (accepted, deprecated, hidden); a new use case has none.
    old_name: str | None = None

    @property
    def data(self) -> str:
        """The module with `load(config)` and `validate(raw, config)` of its training data."""
        return f"{self.package}.data"

    @property
    def shift(self) -> str:
        """The module with `sample_batch(seed, shifted, run_date)`, if the use case has one."""
        return f"{self.package}.shift"

    @property
    def monitor(self) -> str:
        """The module with the monitor's config type, `load_batch` and `check`."""
        return f"{self.package}.monitor"

    def config_files(self) -> list[str]:
        """Every run config file in zenml_config/ the use case reads."""
        files = [self.training_config, self.monitor_config, self.scoring_config]
        return [name for name in files if name is not None]

    def pipeline_modules(self) -> list[str]:
        modules = [self.training_pipeline, self.monitor_pipeline, self.scoring_pipeline]
        return [name for name in modules if name is not None]
