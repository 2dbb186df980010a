"""Continuous training without a model registry: what the Kubeflow monitor pipelines run.

A Kubeflow run has no ZenML store to look the production version up in, so it reads the
production *reference* from a folder named by URI (the pipeline input `reference_uri`): the
version's reference profile, its model and its name, in the format `save_reference` writes
(`model-factory export-reference` writes it from the production version). On drift, training
runs on the retraining config's data plus the batch (`write_window`), the configured window.
Where each monitor's reference lives and when it runs:
model_factory/integrations/kubeflow/monitors.py.
"""

import json
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from pydantic import Field

from model_factory import use_cases
from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
from model_factory.bank.monitor import BankMonitorConfig
from model_factory.config import StrictModel, load_run_config
from model_factory.drift import report
from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import DriftReport
from model_factory.errors import InputError
from model_factory.forecasting.config import ForecastScoringConfig, ForecastTrainingConfig
from model_factory.forecasting.monitor import ForecastMonitorConfig
from model_factory.integrations.kubeflow import monitors
from model_factory.use_case import ExportedModel, UseCase, resolve

PROFILE_FILE = "reference_profile.json"
VERSION_FILE = "version.txt"
# The version's recorded training config: the contract of the batches it scores.
TRAINING_CONFIG_FILE = "training_config.json"

M = TypeVar("M", bound=StrictModel)
T = TypeVar("T", bound=StrictModel)


class MonitorAndRetrain(StrictModel, Generic[M, T]):
    """A Kubeflow monitor pipeline's inputs (flattened): where the production reference is, the
    monitor's config (zenml_config/<use case>_monitor.yaml) and the training config a retrain
    runs with (zenml_config/<use case>_training.yaml; its data is the reference window)."""

    reference_uri: str = Field(min_length=1, description="folder written by export-reference")
    monitor: M
    retraining: T


def monitor_params(use_case: UseCase) -> type[MonitorAndRetrain]:
    """A use case's monitor pipeline config (pydantic caches it: one class per use case)."""
    return MonitorAndRetrain[resolve(use_case.monitor_params), resolve(use_case.training_params)]


# The Kubeflow pipelines' config types, named for their components.
BankMonitorAndRetrain = MonitorAndRetrain[BankMonitorConfig, BankTrainingConfig]
ForecastMonitorAndRetrain = MonitorAndRetrain[ForecastMonitorConfig, ForecastTrainingConfig]


def monitor_inputs(
    params: type[MonitorAndRetrain], pipeline: str, monitor_file: str, training_file: str,
    config_dir: Path,
) -> MonitorAndRetrain:  # fmt: skip
    """A monitor pipeline's config from the files it is made of: its section of
    kubeflow_monitors.yaml, the monitor's run config and the training run config."""
    sections = params.model_fields
    monitor = load_run_config(config_dir / monitor_file, sections["monitor"].annotation)
    training = load_run_config(config_dir / training_file, sections["retraining"].annotation)
    return params(
        reference_uri=monitors.monitor(config_dir, pipeline).reference_uri,
        monitor=monitor.parameters.config,
        retraining=training.parameters.config,
    )


S = TypeVar("S", bound=StrictModel)


class ScoreWithReference(StrictModel, Generic[S]):
    """A Kubeflow batch-scoring pipeline's inputs (flattened): the production reference, whose
    model scores (the monitor's `reference_uri` in kubeflow_monitors.yaml; unread when the
    scoring config names a ZenML server: the version in its `stage` scores), and the scoring run
    config (zenml_config/<use case>_scoring.yaml)."""

    reference_uri: str = Field(min_length=1, description="folder written by export-reference")
    scoring: S


BankScoringWithReference = ScoreWithReference[BankScoringConfig]
ForecastScoringWithReference = ScoreWithReference[ForecastScoringConfig]


def scoring_inputs(
    params: type[ScoreWithReference], monitor_pipeline: str, scoring_file: str, config_dir: Path
) -> ScoreWithReference:
    """A scoring pipeline's config: the reference its use case's monitor reads, and the
    scoring run config."""
    scoring = load_run_config(config_dir / scoring_file, params.model_fields["scoring"].annotation)
    return params(
        reference_uri=monitors.monitor(config_dir, monitor_pipeline).reference_uri,
        scoring=scoring.parameters.config,
    )


class Reference(NamedTuple):
    profile: ReferenceProfile
    model: object
    version: str


def exported_model(model_name: str) -> ExportedModel:
    """How a model's reference folder holds its model; a model without one is bad input."""
    use_case = use_cases.by_model(model_name)
    if use_case.exported_model is None:
        exportable = [u.model_name for u in use_cases.all() if u.exported_model is not None]
        raise InputError(
            f"{model_name} has no exportable reference: only the monitors of "
            f"{', '.join(exportable)} run on Kubeflow without ZenML"
        )
    return use_case.exported_model


def save_reference(
    folder: Path, model_name: str, version: str, profile: ReferenceProfile, model,
    training_config: StrictModel,
) -> Path:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    exported = exported_model(model_name)
    (folder / PROFILE_FILE).write_text(profile.model_dump_json())
    (folder / VERSION_FILE).write_text(f"{version}\n")
    (folder / TRAINING_CONFIG_FILE).write_text(training_config.model_dump_json())
    resolve(exported.save)(model, folder / exported.file)
    return folder


def load_reference(folder: Path, model_name: str) -> Reference:
    exported = exported_model(model_name)
    missing = [f for f in (PROFILE_FILE, VERSION_FILE, exported.file) if not (folder / f).exists()]
    if missing:
        raise InputError(f"reference {folder}: missing {', '.join(missing)} (export-reference)")
    profile = ReferenceProfile.model_validate_json((folder / PROFILE_FILE).read_text())
    version = (folder / VERSION_FILE).read_text().strip()
    return Reference(profile, resolve(exported.load)(folder / exported.file), version)


def load_training_config(folder: Path, params: type[T]) -> T:
    """The reference version's training config (the batch contract of scoring with it)."""
    path = folder / TRAINING_CONFIG_FILE
    if not path.is_file():
        raise InputError(f"reference {folder}: missing {TRAINING_CONFIG_FILE} (export-reference)")
    return params.model_validate_json(path.read_text())


def parse(model_name: str, config_json: str) -> MonitorAndRetrain:
    """The validated config a monitor pipeline's `resolve-config` task wrote."""
    return monitor_params(use_cases.by_model(model_name)).model_validate_json(config_json)


def check(model_name: str, config: MonitorAndRetrain, folder: Path) -> DriftReport:
    """The batch against the reference in `folder`, by the use case's monitor."""
    if config.monitor.data_path is None:
        raise InputError("no batch given: set the pipeline input monitor_data_path")
    monitor = resolve(use_cases.by_model(model_name).monitor)
    reference = load_reference(folder, model_name)
    batch = monitor.load_batch(config.monitor)
    return monitor.check(batch, reference.profile, reference.model, config.monitor,
                         reference.version, config.monitor.data_path)  # fmt: skip


def write_outcome(drift: DriftReport, metrics_path: str, html_path: str) -> None:
    """The metrics JSON and the HTML report, as the ZenML monitor's."""
    Path(metrics_path).write_text(json.dumps(drift.metrics(), indent=2, sort_keys=True) + "\n")
    Path(html_path).write_text(report.html(drift))


def _retraining(model_name: str):
    use_case = use_cases.by_model(model_name)
    if use_case.kubeflow_retraining is None:
        raise InputError(f"{model_name} has no continuous training on Kubeflow")
    return resolve(use_case.kubeflow_retraining)


def retraining_holdout(model_name: str, config: MonitorAndRetrain) -> int:
    """The retraining run's holdout, by the use case's retraining module (forecasting: days,
    at most half the batch; 0 for bank, which holds out rows by hash)."""
    return _retraining(model_name).holdout(config)


def write_window(model_name: str, config: MonitorAndRetrain, path: str) -> int:
    """The retraining window as a CSV its training reads, by the use case's retraining module
    (bank: the retraining data plus the labelled batch; forecasting: the retraining sales
    extended by the batch). Returns its rows."""
    return _retraining(model_name).write_window(config, path)
