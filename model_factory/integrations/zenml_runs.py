"""Run a pipeline exactly as `zenml pipeline run -c FILE` would, with a validated config, and
fail the runs a killed process left "running"."""

import os
import socket
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pydantic import ValidationError
from zenml.client import Client
from zenml.config.base_settings import BaseSettings
from zenml.enums import ExecutionStatus
from zenml.models import PipelineRunResponse
from zenml.orchestrators import publish_utils
from zenml.pipelines.pipeline_definition import Pipeline
from zenml.steps import BaseStep
from zenml.utils import settings_utils, source_utils
from zenml.utils.pagination_utils import depaginate

from model_factory.config import RunConfig, StrictModel, describe
from model_factory.errors import InputError
from model_factory.outputs import process_running

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Run-config `extra` key naming the host and process a local-orchestrator run executes in.
LAUNCHER = "model_factory_launcher"


def run_with_config(
    pipeline: Pipeline, run_config: RunConfig, config: StrictModel
) -> PipelineRunResponse:
    """Write the run config with `config` as its parameters and hand it to ZenML."""
    use_project_sources()
    check_run_config(pipeline, run_config, config)
    fail_orphaned_runs()
    raw = run_config.model_dump(mode="json", exclude_none=True)
    raw["parameters"] = {"config": config.model_dump(mode="json")}
    if Client().active_stack.orchestrator.flavor == "local":  # the run lives in this process
        raw["extra"] = {LAUNCHER: {"host": socket.gethostname(), "pid": os.getpid()}}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as handle:
        yaml.safe_dump(raw, handle)
        handle.flush()
        run = pipeline.with_options(config_path=handle.name)()
    return Client().get_pipeline_run(run.id)


def check_run_config(pipeline: Pipeline, run_config: RunConfig, config: StrictModel) -> None:
    """Refuse, before anything runs, what ZenML would drop with a warning or fail on mid-run:
    a `steps:` name the pipeline lacks, a settings key no settings class takes (accepted:
    ZenML's general settings, the active stack's components' and the Kubeflow orchestrator's,
    for zenml_config/kubeflow/), an unknown setting attribute or a value of the wrong type."""
    configured = run_config.steps or {}
    steps = step_names(pipeline)
    if unknown := sorted(set(configured) - steps):
        raise InputError(
            f"steps: {', '.join(unknown)}: no such step in {pipeline.name} "
            f"(its steps: {', '.join(sorted(steps))})"
        )
    sections = {"settings": run_config.settings or {}} | {
        f"steps.{name}.settings": step.settings or {} for name, step in configured.items()
    }
    classes = _settings_classes()
    for where, settings in sections.items():
        for key, values in settings.items():
            if key not in classes:
                raise InputError(
                    f"{where}.{key}: unknown settings key (accepted: {', '.join(sorted(classes))})"
                )
            fields = classes[key].model_fields
            known = set(fields) | {field.alias for field in fields.values() if field.alias}
            if unknown := sorted(set(values) - known):  # settings classes ignore or keep extras
                raise InputError(f"{where}.{key}.{unknown[0]}: unknown setting")
            try:
                classes[key].model_validate(values)
            except ValidationError as exc:
                raise InputError(describe(exc, f"{where}.{key}")) from exc


def step_names(pipeline: Pipeline) -> set[str]:
    """Every step the pipeline's body can run, whatever the config: the step objects its code
    names, directly or as `module.step` (a run may skip some, e.g. taxi's `fit_detector`)."""
    code, scope = pipeline.entrypoint.__code__, pipeline.entrypoint.__globals__
    modules = [value for value in scope.values() if isinstance(value, ModuleType)]
    named = [scope.get(name) for name in code.co_names]
    named += [getattr(module, name, None) for module in modules for name in code.co_names]
    return {found.name for found in named if isinstance(found, BaseStep)}


def _settings_classes() -> dict[str, type[BaseSettings]]:
    from zenml.integrations.kubeflow.flavors.kubeflow_orchestrator_flavor import (
        KubeflowOrchestratorSettings,
    )

    return {
        **settings_utils.get_general_settings(),
        **Client().active_stack.setting_classes,
        "orchestrator.kubeflow": KubeflowOrchestratorSettings,
    }


def use_project_sources() -> None:
    """Record and load sources (materializers) relative to the project root.

    Without a ZenML repository, ZenML takes the main module's folder as source root; under
    `python -m model_factory` that is model_factory/ and our materializers would be recorded
    as `integrations.*`, which no other process can import. The project root is unambiguous.
    """
    source_utils.set_custom_source_root(str(PROJECT_ROOT))


def step_output(run: PipelineRunResponse, step: str, name: str) -> Any:
    """Load one named output artifact of a finished run."""
    return run.steps[step].outputs[name][0].load()


def fail_orphaned_runs() -> list[str]:
    """Mark failed every unfinished run this host launched whose process is gone; their names.

    ZenML's local orchestrator executes a run inside the process that launched it, so a
    SIGKILLed or OOM-killed `model-factory train` leaves its run (and steps) "running" forever,
    and the model version it registered would look usable. Runs record their launcher (host
    and pid) in the run config's `extra`; a run of this host whose pid no longer exists is an
    orphan. Runs on remote orchestrators carry no launcher (their process is not ours): ask
    the orchestrator with `zenml pipeline runs refresh RUN`.
    """
    failed = []
    for run in depaginate(Client().list_pipeline_runs, in_progress=True, hydrate=True):
        launcher = run.config.extra.get(LAUNCHER)
        here = launcher and launcher["host"] == socket.gethostname()
        if not here or process_running(launcher["pid"]):
            continue
        for step in run.steps.values():
            if not step.status.is_finished:
                publish_utils.publish_failed_step_run(step.id)
        publish_utils.publish_pipeline_run_status_update(
            run.id, ExecutionStatus.FAILED, status_reason="its process is gone (killed)"
        )
        failed.append(run.name)
    return failed
