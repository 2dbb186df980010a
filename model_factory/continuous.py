"""Continuous training without a model registry: what the Kubeflow monitor pipelines run.

A Kubeflow run has no ZenML store to look the production version up in, so it reads the
production *reference* from a folder named by URI (the pipeline input `reference_uri`): the
version's reference profile, its model and its name, in the format `save_reference` writes
(`model-factory export-reference` writes it from the production version). On drift, training
runs on the retraining config's data plus the batch (`write_window`), the configured window.
Where each monitor's reference lives and when it runs: model_factory/kubeflow_monitors.py.
"""

import json
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

import joblib
from pydantic import Field

from model_factory import kubeflow_monitors
from model_factory.bank import data as bank_data
from model_factory.bank import monitor as bank_monitor
from model_factory.bank.config import BankScoringConfig, BankTrainingConfig
from model_factory.config import StrictModel, load_run_config
from model_factory.drift import report
from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import DriftReport
from model_factory.errors import InputError
from model_factory.forecasting import data as forecast_data
from model_factory.forecasting import forecaster
from model_factory.forecasting import monitor as forecast_monitor
from model_factory.forecasting.config import ForecastScoringConfig, ForecastTrainingConfig
from model_factory.validation import written_separator

PROFILE_FILE = "reference_profile.json"
VERSION_FILE = "version.txt"
# The version's recorded training config: the contract of the batches it scores.
TRAINING_CONFIG_FILE = "training_config.json"
# Model file (or folder) in a reference folder, and how it is written and read, per model.
MODEL_FILES = {
    "bank_marketing_classifier": ("classifier.joblib", joblib.dump, joblib.load),
    "store_sales_forecaster": ("store_forecaster", forecaster.save, forecaster.load),
}

M = TypeVar("M", bound=StrictModel)
T = TypeVar("T", bound=StrictModel)


class MonitorAndRetrain(StrictModel, Generic[M, T]):
    """A Kubeflow monitor pipeline's inputs (flattened): where the production reference is, the
    monitor's config (zenml_config/<use case>_monitor.yaml) and the training config a retrain
    runs with (zenml_config/<use case>_training.yaml; its data is the reference window)."""

    reference_uri: str = Field(min_length=1, description="folder written by export-reference")
    monitor: M
    retraining: T


BankMonitorAndRetrain = MonitorAndRetrain[bank_monitor.BankMonitorConfig, BankTrainingConfig]
ForecastMonitorAndRetrain = MonitorAndRetrain[
    forecast_monitor.ForecastMonitorConfig, ForecastTrainingConfig
]
# Per retrainable model: its monitor pipeline's config and its monitor module.
USE_CASES = {
    bank_monitor.MODEL_NAME: (BankMonitorAndRetrain, bank_monitor),
    forecast_monitor.MODEL_NAME: (ForecastMonitorAndRetrain, forecast_monitor),
}


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
        reference_uri=kubeflow_monitors.monitor(config_dir, pipeline).reference_uri,
        monitor=monitor.parameters.config,
        retraining=training.parameters.config,
    )


S = TypeVar("S", bound=StrictModel)


class ScoreWithReference(StrictModel, Generic[S]):
    """A Kubeflow batch-scoring pipeline's inputs (flattened): the production reference, whose
    model scores (the monitor's `reference_uri` in kubeflow_monitors.yaml), and the scoring run
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
        reference_uri=kubeflow_monitors.monitor(config_dir, monitor_pipeline).reference_uri,
        scoring=scoring.parameters.config,
    )


class Reference(NamedTuple):
    profile: ReferenceProfile
    model: object
    version: str


def save_reference(
    folder: Path, model_name: str, version: str, profile: ReferenceProfile, model,
    training_config: StrictModel,
) -> Path:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    name, dump, _ = MODEL_FILES[model_name]
    (folder / PROFILE_FILE).write_text(profile.model_dump_json())
    (folder / VERSION_FILE).write_text(f"{version}\n")
    (folder / TRAINING_CONFIG_FILE).write_text(training_config.model_dump_json())
    dump(model, folder / name)
    return folder


def load_reference(folder: Path, model_name: str) -> Reference:
    name, _, load = MODEL_FILES[model_name]
    missing = [f for f in (PROFILE_FILE, VERSION_FILE, name) if not (folder / f).exists()]
    if missing:
        raise InputError(f"reference {folder}: missing {', '.join(missing)} (export-reference)")
    profile = ReferenceProfile.model_validate_json((folder / PROFILE_FILE).read_text())
    version = (folder / VERSION_FILE).read_text().strip()
    return Reference(profile, load(folder / name), version)


def load_training_config(folder: Path, params: type[T]) -> T:
    """The reference version's training config (the batch contract of scoring with it)."""
    path = folder / TRAINING_CONFIG_FILE
    if not path.is_file():
        raise InputError(f"reference {folder}: missing {TRAINING_CONFIG_FILE} (export-reference)")
    return params.model_validate_json(path.read_text())


def parse(model_name: str, config_json: str) -> MonitorAndRetrain:
    """The validated config a monitor pipeline's `resolve-config` task wrote."""
    return USE_CASES[model_name][0].model_validate_json(config_json)


def check(model_name: str, config: MonitorAndRetrain, folder: Path) -> DriftReport:
    """The batch against the reference in `folder`, by the use case's monitor."""
    if config.monitor.data_path is None:
        raise InputError("no batch given: set the pipeline input monitor_data_path")
    monitor = USE_CASES[model_name][1]
    reference = load_reference(folder, model_name)
    batch = monitor.load_batch(config.monitor)
    return monitor.check(batch, reference.profile, reference.model, config.monitor,
                         reference.version, config.monitor.data_path)  # fmt: skip


def write_outcome(drift: DriftReport, metrics_path: str, html_path: str) -> None:
    """The metrics JSON and the HTML report, as the ZenML monitor's."""
    Path(metrics_path).write_text(json.dumps(drift.metrics(), indent=2, sort_keys=True) + "\n")
    Path(html_path).write_text(report.html(drift))


def retraining_holdout(model_name: str, config: MonitorAndRetrain) -> int:
    """Forecasting: the retraining run's holdout days, at most half the batch (as
    `retrain-if-drifted`: forecasting.data.retraining_holdout). 0 for bank, which holds out
    rows by hash, not days."""
    if model_name == bank_monitor.MODEL_NAME:
        return 0
    batch = forecast_monitor.load_batch(config.monitor)
    return forecast_data.retraining_holdout(batch, config.retraining.holdout_days)


def write_window(model_name: str, config: MonitorAndRetrain, path: str) -> int:
    """The retraining window as a CSV its training reads: bank, the retraining data plus the
    labelled batch (validated); forecasting, the retraining sales extended by the batch.
    Returns its rows."""
    if model_name == bank_monitor.MODEL_NAME:
        batch = bank_monitor.load_batch(config.monitor)
        window = bank_data.with_recent(bank_data.load(config.retraining), batch, config.retraining)
        window.to_csv(path, sep=written_separator(config.retraining.csv_separator), index=False)
    else:
        history, _ = forecast_data.load(config.retraining)
        window = forecast_data.with_recent(history, forecast_monitor.load_batch(config.monitor))
        window.assign(Date=window["Date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return len(window)
