"""Compile the Kubeflow pipelines to IR YAML, one file per pipeline, byte-identical between runs.

The inputs' defaults come from the pipeline's run config in zenml_config/ (validated strictly,
flattened as in model_factory/flat_config.py) and every task runs `image`.
"""

import copy
from pathlib import Path

from kfp import compiler
from kfp.dsl.base_component import BaseComponent

from components import PIPELINES, KfpPipeline
from model_factory.config import load_run_config
from model_factory.flat_config import flatten


def compile_all(out_dir: Path, image: str, config_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        compile_pipeline(name, out_dir / f"{name}.yaml", image, config_dir) for name in PIPELINES
    ]


def compile_pipeline(name: str, path: Path, image: str, config_dir: Path) -> Path:
    entry = PIPELINES[name]
    config = load_run_config(config_dir / entry.config_file, entry.params).parameters.config
    defaults = pipeline_inputs(entry, config)
    component = _with_image(entry.build(config), image)
    missing = set(component.component_spec.inputs or {}) ^ set(defaults)
    if missing:
        raise ValueError(
            f"{name}: pipeline inputs and the flattened config of {entry.config_file} differ "
            f"on {sorted(missing)} (add the input, or list the key in zenml_only)"
        )
    inputs = component.pipeline_spec.root.input_definitions.parameters
    for key in defaults:
        inputs[key].is_optional = True  # a default makes an input optional, as in the SDK
    compiler.Compiler().compile(component, str(path), pipeline_parameters=defaults)
    return path


def pipeline_inputs(entry: KfpPipeline, config) -> dict:
    """The pipeline's arguments for `config`: its keys flattened, ZenML-only keys left out."""
    return flatten(config, exclude=entry.zenml_only)


def _with_image(component: BaseComponent, image: str) -> BaseComponent:
    """A copy of the compiled pipeline whose every task runs `image`."""
    component = copy.deepcopy(component)
    executors = component.pipeline_spec.deployment_spec["executors"]
    for executor in executors.values():
        executor["container"]["image"] = image
    return component
