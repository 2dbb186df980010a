"""Run a compiled pipeline package here, under kfp.local, before uploading it anywhere.

The package is loaded as KFP loads any component file and called with its compiled defaults;
each task runs in a subprocess of this interpreter (`SubprocessRunner(use_venv=False)`: the
project environment, no Docker, nothing installed). Kubernetes settings of the package (secrets
as environment, resources) do not apply: a task sees this process's environment instead.
"""

import builtins
import re
import warnings
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocalRun:
    """Where a local run left its artifacts, how it ended and what it returned."""

    run_dir: Path | None  # <pipeline root>/<pipeline name>-<timestamp>; None if nothing ran
    succeeded: bool
    error: str | None  # the failed task's message
    outputs: dict[str, str]  # output name -> artifact URI or parameter value


def run_package(package: Path, pipeline_root: Path) -> LocalRun:
    """Run `package` with its compiled input defaults, artifacts under `pipeline_root`."""
    from kfp import components, local

    pipeline_root.mkdir(parents=True, exist_ok=True)
    before = set(pipeline_root.iterdir())
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(pipeline_root))
    pipeline = components.load_component_from_file(str(package))
    real_print = builtins.print  # kfp.local swaps it while tasks run, racily under ParallelFor
    try:
        with warnings.catch_warnings():
            # Said once in the docstring instead: settings a local run ignores (display names,
            # resources) and the project image named where this very environment runs.
            warnings.filterwarnings("ignore", module=r"kfp\.local")
            task = pipeline()
    except RuntimeError as exc:  # kfp.local raises when a task fails (after its retries)
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # kfp.local colours it
        succeeded, error, outputs = False, message.splitlines()[0], {}
    else:
        succeeded, error = True, None
        outputs = {
            name: getattr(value, "uri", None) or str(value) for name, value in task.outputs.items()
        }
    finally:
        builtins.print = real_print
    new = sorted(set(pipeline_root.iterdir()) - before)
    return LocalRun(new[-1] if new else None, succeeded, error, outputs)
