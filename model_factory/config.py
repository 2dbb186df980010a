"""Run configuration: one YAML file per pipeline, read by both ZenML and `model-factory`.

The file is a ZenML run config (`zenml pipeline run -c`), so its top level holds ZenML's keys and
our pipeline parameters sit under `parameters.config`. ZenML alone checks only `parameters`;
`load_run_config` validates the whole file strictly before anything runs.

A run config may instead name another file to take its parameters from (`parameters_from:`,
relative to it): the Kubeflow run configs (zenml_config/kubeflow/) hold only their settings and
run with their local twin's parameters. ZenML ignores top-level keys it does not know, so for
`zenml pipeline run -c` the merged file comes from `model-factory run-config FILE --out FILE`.
"""

from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from model_factory.alerts import refuse_in_config
from model_factory.errors import InputError


class StrictModel(BaseModel):
    """Base for every config section: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class KubeflowServer(StrictModel):
    """The ZenML server a native Kubeflow run reads its model from (batch scoring: the version
    in a stage), fixed when the pipeline is compiled (null: the exported reference folder). The
    API key is never here: a task reads it from the Kubernetes Secret `model-factory-zenml` (key
    `api-key`), or, under `submit --local`, from $ZENML_STORE_API_KEY of its environment."""

    zenml_url: str | None = Field(None, description="ZenML server URL the run reads from")


class KubeflowRegistration(KubeflowServer):
    """Where a native Kubeflow training run registers its model: fixed when the pipeline is
    compiled (null: it registers nothing, as before); the API key as for `KubeflowServer`."""

    zenml_url: str | None = Field(None, description="ZenML server URL the run registers with")
    zenml_stack: str | None = Field(
        None, description="stack whose artifact store keeps the model (default: the active one)"
    )
    ui_url: str | None = Field(None, description="KFP UI base URL, for the run's link")


P = TypeVar("P", bound=StrictModel)


class _Parameters(StrictModel, Generic[P]):
    config: P


class StepRunConfig(StrictModel):
    """A step's section under `steps:`: the ZenML step keys our configs use. Its settings keys
    and values, and the step names, are checked against ZenML before a run starts
    (integrations/zenml_runs.py: check_run_config)."""

    enable_cache: bool | None = None
    settings: dict[str, dict[str, Any]] | None = None
    environment: dict[str, str] | None = None
    secrets: list[str] | None = None


class RunConfig(StrictModel, Generic[P]):
    """The ZenML run-config keys we use, plus our typed parameters."""

    enable_cache: bool | None = None
    run_name: str | None = None
    model: dict[str, Any] | None = None
    settings: dict[str, dict[str, Any]] | None = None
    steps: dict[str, StepRunConfig] | None = None
    parameters: _Parameters[P]


def describe(error: ValidationError, source: str) -> str:
    """One line naming the first offending key, e.g. `f.yaml: parameters.config.seed: ...`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "<root>"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{source}: {where}: {first['msg']}{more}"


class _NoAliasLoader(yaml.SafeLoader):
    """Safe tags only, and no aliases: `*name` could expand a few hundred bytes into gigabytes
    (a "billion laughs"), and no file of ours needs one."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.YAMLError(f"aliases (*name) are not allowed (line {mark.line + 1})")
        return super().compose_node(parent, index)


def read_yaml(path: str | Path, what: str = "config file") -> Any:
    """The YAML document in `path`, read the one way every file the project is given is read:
    a regular file, UTF-8, safe tags, no aliases. Anything else is an InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        problem = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
        raise InputError(f"{path}: not valid YAML ({problem})") from exc


PARAMETERS_FROM = "parameters_from"


def read_run_config(path: str | Path) -> Any:
    """The run config in `path` as ZenML is to read it: with the `parameters` of the file its
    `parameters_from` names (one that holds its own), instead of that key."""
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict) or PARAMETERS_FROM not in raw:
        return raw
    if "parameters" in raw:
        raise InputError(f"{path}: give either {PARAMETERS_FROM} or parameters, not both")
    base_path = Path(path).parent / str(raw[PARAMETERS_FROM])
    base = read_yaml(base_path, f"{path}: {PARAMETERS_FROM}: run config")
    if not isinstance(base, dict) or "parameters" not in base:
        raise InputError(f"{path}: {PARAMETERS_FROM}: {base_path} has no parameters of its own")
    merged = {key: value for key, value in raw.items() if key != PARAMETERS_FROM}
    return {**merged, "parameters": base["parameters"]}


def load_run_config(path: str | Path, params: type[P]) -> RunConfig[P]:
    raw = read_run_config(path)
    refuse_in_config(raw, str(path))
    try:
        return RunConfig[params].model_validate(raw)
    except ValidationError as exc:
        raise InputError(describe(exc, str(path))) from exc


def parse(params: type[P], values: dict[str, Any], source: str = "config") -> P:
    """Validate a parameters mapping (e.g. from a KFP component input) with one-line errors."""
    try:
        return params.model_validate(values)
    except ValidationError as exc:
        raise InputError(describe(exc, source)) from exc


def _without_password(url: str | None) -> str | None:
    """Run configs are recorded where anyone who can read runs sees them (ZenML's run
    configuration, model-version metadata, KFP run inputs): a password must come another way."""
    try:
        password = url is not None and make_url(url).password
    except ArgumentError:
        return url  # not a URL at all: the connection check says so before any run
    if password:
        raise ValueError(
            "holds a password, and run configs are recorded with every run: give the URL "
            "with --db or $MODEL_FACTORY_DB_URL (on a remote stack: a ZenML secret setting it)"
        )
    return url


DbUrl = Annotated[str | None, AfterValidator(_without_password)]
