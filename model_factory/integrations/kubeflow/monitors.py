"""zenml_config/kubeflow_monitors.yaml: where each Kubeflow monitor pipeline reads the production
reference (`reference_uri`, the pipeline input's default) and when its recurring run starts
(`schedule`, used by `model-factory submit PIPELINE --scheduled`).

The local orchestrator runs no schedules (docs/continuous-training.md: a cron line runs
`retrain-if-drifted`); on Kubeflow the schedule is a KFP recurring run, so it lives here,
validated in full before anything is compiled or submitted: an unknown key or a bad cron is one
line and exit 2.
"""

from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from model_factory.config import StrictModel, describe, read_yaml
from model_factory.errors import InputError
from model_factory.integrations.kubeflow import cron

FILE = "kubeflow_monitors.yaml"


class KubeflowMonitor(StrictModel):
    reference_uri: str = Field(min_length=1, description="the production reference folder")
    schedule: str | None = Field(None, description="5-field cron of the recurring run (UTC)")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            cron.to_kfp(value)  # an InputError is a ValueError: pydantic reports it in one line
        return value


class KubeflowMonitors(StrictModel):
    """One section per monitor pipeline of components/__init__.py."""

    bank_monitor: KubeflowMonitor
    forecasting_monitor: KubeflowMonitor


def load(config_dir: Path) -> KubeflowMonitors:
    path = config_dir / FILE
    try:
        return KubeflowMonitors.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise InputError(describe(exc, str(path))) from exc


def monitor(config_dir: Path, pipeline: str) -> KubeflowMonitor:
    monitors = load(config_dir)
    if pipeline not in KubeflowMonitors.model_fields:
        raise InputError(
            f"{pipeline} has no section in {FILE} (it configures "
            f"{', '.join(KubeflowMonitors.model_fields)}): pass --schedule CRON"
        )
    return getattr(monitors, pipeline)


def schedule(config_dir: Path, pipeline: str) -> str:
    """The configured 5-field cron of `pipeline`'s recurring run."""
    configured = monitor(config_dir, pipeline).schedule
    if configured is None:
        raise InputError(f"{FILE}: {pipeline}.schedule is not set: set it or pass --schedule CRON")
    return configured
