"""Compile the Kubeflow pipelines to IR YAML, one file per pipeline, byte-identical between runs.

The inputs' defaults come from the pipeline's run config in zenml_config/ (validated strictly,
flattened as in model_factory/integrations/kubeflow/flat_config.py) and every task runs `image`.
A pipeline root, when given, is compiled in (the IR's `defaultPipelineRoot`): runs of the package
store their artifacts there instead of the cluster's default (the kfp-launcher ConfigMap's
`defaultPipelineRoot`).
"""

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from kfp import compiler
from kfp.dsl.base_component import BaseComponent

from model_factory.config import StrictModel, load_run_config
from model_factory.errors import InputError
from model_factory.integrations.kubeflow.flat_config import flatten
from model_factory.integrations.kubeflow.registry import IMAGE_ENV

# Object stores the KFP launcher writes to (gs: GCS, s3: S3 or S3-compatible, minio: KFP's own).
PIPELINE_ROOT_SCHEMES = ("gs://", "s3://", "minio://")


@dataclass(frozen=True)
class KfpPipeline:
    """A registry entry (components/__init__.py): how to build a pipeline and its defaults."""

    # The pipeline, given the validated run config (for compile-time settings like parallelism).
    build: Callable[[StrictModel], BaseComponent]
    params: type[StrictModel]
    config_file: str  # in zenml_config/: its values become the pipeline inputs' defaults
    zenml_only: frozenset[str] = frozenset()  # config keys with no meaning on KFP: not inputs
    # Flattened keys `build` bakes into the pipeline (KFP needs constants there): not inputs.
    compile_time: frozenset[str] = frozenset()
    # How to read the validated config from the config folder when it is made of several files
    # (the monitor pipelines); default: `config_file` as a run config of `params`.
    load: Callable[[Path], StrictModel] | None = None

    def config(self, config_dir: Path) -> StrictModel:
        if self.load is not None:
            return self.load(config_dir)
        return load_run_config(config_dir / self.config_file, self.params).parameters.config


def compile_all(
    pipelines: Mapping[str, KfpPipeline],
    out_dir: Path,
    image: str,
    config_dir: Path,
    pipeline_root: str | None = None,
) -> list[Path]:
    """Every pipeline to `out_dir/<name>.yaml`, defaults from its run config."""
    if pipeline_root is not None:
        pipeline_root = check_pipeline_root(pipeline_root)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, entry in pipelines.items():
        config = entry.config(config_dir)
        paths.append(
            compile_pipeline(entry, config, image, out_dir / f"{name}.yaml", pipeline_root)
        )
    return paths


def check_pipeline_root(root: str) -> str:
    """`root` without a trailing slash, if it names a bucket of an object store KFP writes to."""
    scheme = next((s for s in PIPELINE_ROOT_SCHEMES if root.startswith(s)), None)
    if scheme is None or not root[len(scheme) :].strip("/"):
        raise InputError(
            f"--pipeline-root {root!r}: give a bucket URI such as gs://BUCKET/kfp "
            f"({', '.join(PIPELINE_ROOT_SCHEMES)})"
        )
    return root.rstrip("/")


def compile_pipeline(
    entry: KfpPipeline,
    config: StrictModel,
    image: str,
    path: Path,
    pipeline_root: str | None = None,
) -> Path:
    defaults = pipeline_inputs(entry, config)
    component = _with_image(entry.build(config), image)
    if pipeline_root is not None:
        component.pipeline_spec.default_pipeline_root = pipeline_root
    differ = set(component.component_spec.inputs or {}) ^ set(defaults)
    if differ:
        raise ValueError(
            f"{component.name}: pipeline inputs and the flattened config of "
            f"{entry.config_file} differ on {sorted(differ)} "
            "(add the input to the pipeline, or the key to the registry entry's zenml_only)"
        )
    inputs = component.pipeline_spec.root.input_definitions.parameters
    for key in defaults:
        inputs[key].is_optional = True  # a default makes an input optional, as in the SDK
    compiler.Compiler().compile(component, str(path), pipeline_parameters=defaults)
    _stable_header(path)
    return path


def pipeline_inputs(entry: KfpPipeline, config: StrictModel) -> dict:
    """The pipeline's arguments for `config`: its keys flattened, ZenML-only and compile-time
    keys left out."""
    flat = flatten(config, exclude=entry.zenml_only)
    return {key: value for key, value in flat.items() if key not in entry.compile_time}


def _stable_header(path: Path) -> None:
    """Print dict defaults in KFP's header comment with sorted keys, as in the YAML body.

    KFP prints them in protobuf map order, which changes from one process to the next (a
    struct input such as forecasting's `prophet_holiday_windows`); the spec itself is sorted.
    """
    text = path.read_text()
    root = next(yaml.safe_load_all(text))["root"]
    parameters = root.get("inputDefinitions", {}).get("parameters", {})
    sorted_defaults = {
        f"#    {name}: dict [Default: ": parameter["defaultValue"]
        for name, parameter in parameters.items()
        if parameter["parameterType"] == "STRUCT" and "defaultValue" in parameter
    }
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            break  # the header ends where the spec begins
        prefix = line.partition("[Default: ")[0] + "[Default: "
        if prefix in sorted_defaults:
            lines[index] = f"{prefix}{sorted_defaults[prefix]}]\n"
    path.write_text("".join(lines))


def _with_image(component: BaseComponent, image: str) -> BaseComponent:
    """A copy of the compiled pipeline whose every container task runs `image` (an importer
    runs no container: the KFP backend imports its artifact), and is told so where it asks
    ($MODEL_FACTORY_IMAGE: the registration task records it)."""
    component = copy.deepcopy(component)
    executors = component.pipeline_spec.deployment_spec["executors"]
    for executor in executors.values():
        if "container" in executor:
            executor["container"]["image"] = image
            container = executor["container"]  # a protobuf Struct: no .get
            for variable in container["env"] if "env" in container else []:  # noqa: SIM401
                if variable["name"] == IMAGE_ENV:
                    variable["value"] = image
    return component


def unpullable_images(package: Path) -> list[str]:
    """The images a compiled package's tasks run that a cluster cannot pull: no registry host
    (Docker Hub would be asked for a library image that does not exist) or `localhost/`."""
    spec = next(yaml.safe_load_all(package.read_text()))
    images = {
        executor["container"]["image"]
        for executor in spec["deploymentSpec"]["executors"].values()
        if "container" in executor
    }
    return sorted(image for image in images if not _registry_host(image))


def _registry_host(image: str) -> str | None:
    """The registry part of an image reference, as Docker reads one: the first path component
    when it has a dot or a port; `localhost` is local to each machine, so no registry here."""
    first, slash, _ = image.partition("/")
    return first if slash and ("." in first or ":" in first) else None
