"""Run a pipeline exactly as `zenml pipeline run -c FILE` would, with a validated config."""

import tempfile
from pathlib import Path
from typing import Any

import yaml
from zenml.client import Client
from zenml.models import PipelineRunResponse
from zenml.pipelines.pipeline_definition import Pipeline
from zenml.utils import source_utils

from model_factory.config import RunConfig, StrictModel

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_with_config(
    pipeline: Pipeline, run_config: RunConfig, config: StrictModel
) -> PipelineRunResponse:
    """Write the run config with `config` as its parameters and hand it to ZenML."""
    use_project_sources()
    raw = run_config.model_dump(mode="json", exclude_none=True)
    raw["parameters"] = {"config": config.model_dump(mode="json")}
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
