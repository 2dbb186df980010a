"""Run a pipeline exactly as `zenml pipeline run -c FILE` would, with a validated config, and
fail the runs a killed process left "running"."""

import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import yaml
from zenml.client import Client
from zenml.enums import ExecutionStatus
from zenml.models import PipelineRunResponse
from zenml.orchestrators import publish_utils
from zenml.pipelines.pipeline_definition import Pipeline
from zenml.utils import source_utils
from zenml.utils.pagination_utils import depaginate

from model_factory.config import RunConfig, StrictModel

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Run-config `extra` key naming the host and process a local-orchestrator run executes in.
LAUNCHER = "model_factory_launcher"


def run_with_config(
    pipeline: Pipeline, run_config: RunConfig, config: StrictModel
) -> PipelineRunResponse:
    """Write the run config with `config` as its parameters and hand it to ZenML."""
    use_project_sources()
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
        if not launcher or launcher["host"] != socket.gethostname() or _alive(launcher["pid"]):
            continue
        for step in run.steps.values():
            if not step.status.is_finished:
                publish_utils.publish_failed_step_run(step.id)
        publish_utils.publish_pipeline_run_status_update(
            run.id, ExecutionStatus.FAILED, status_reason="its process is gone (killed)"
        )
        failed.append(run.name)
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
