"""The registry of use cases: adding one is its subpackage, its run configs and a line here."""

from collections.abc import Iterable
from functools import cache
from types import ModuleType
from typing import Any, Union

from pydantic import TypeAdapter

from model_factory.bank.use_case import USE_CASE as BANK
from model_factory.errors import InputError
from model_factory.forecasting.use_case import USE_CASE as FORECASTING
from model_factory.taxi.use_case import USE_CASE as TAXI
from model_factory.use_case import UseCase, resolve

_ALL: tuple[UseCase, ...] = (BANK, FORECASTING, TAXI)
TAG_PREFIX = "use-case:"


def all() -> tuple[UseCase, ...]:
    return _ALL


def by_name(name: str) -> UseCase:
    """The use case a short name (or its deprecated CLI name) names; unknown is bad input."""
    for use_case in _ALL:
        if name == use_case.name or (use_case.old_name and name == use_case.old_name):
            return use_case
    raise InputError(f"unknown use case {name!r} (one of {', '.join(names())})")


def by_model(model_name: str, tags: Iterable[str] = ()) -> UseCase:
    """The use case whose versions are registered under `model_name`: its own model, or a model
    named in a run config (`model: {name: ...}`), which training tags `use-case:<name>`."""
    for use_case in _ALL:
        if use_case.model_name == model_name:
            return use_case
    for tag in tags:
        if tag.startswith(TAG_PREFIX):
            return by_name(tag.removeprefix(TAG_PREFIX))
    known = ", ".join(model_names())
    raise InputError(
        f"{model_name}: no use case registers this model (one of {known}) and it has no "
        f"{TAG_PREFIX}<name> tag"
    )


def tag(use_case: UseCase) -> str:
    """The tag that ties a model named in a run config to the use case that trained it."""
    return f"{TAG_PREFIX}{use_case.name}"


def names() -> list[str]:
    return [use_case.name for use_case in _ALL]


def model_names() -> list[str]:
    """The use cases' own model names (a run config may register others under its own)."""
    return [use_case.model_name for use_case in _ALL]


def training_config_types() -> tuple[type, ...]:
    """Every use case's training config type (the generic data steps take any of them)."""
    return tuple(resolve(use_case.training_params) for use_case in _ALL)


@cache
def training_config_union() -> Any:
    """Any use case's training config, as one type: the generic data steps' annotation (ZenML
    rebuilds a recorded config as the type its fields fit) and what `training_config` parses.
    Built on first use, so reading the registry imports no config module."""
    return Union[training_config_types()]  # noqa: UP007 (built at run time)


def training_config(config_json: str):
    """The training config these JSON fields make, as the type of the use case they fit (a KFP
    task's input; the generic ZenML steps get the same from ZenML)."""
    return TypeAdapter(training_config_union()).validate_json(config_json)


def monitor_config_types() -> tuple[type, ...]:
    """Every use case's monitor config type: the generic monitor steps take any of them (the
    types forbid unknown keys, so a config's fields say which one it is)."""
    return tuple(resolve(use_case.monitor_params) for use_case in _ALL)


@cache
def monitor_config_union() -> Any:
    """Any use case's monitor config, as one type (the generic monitor steps' annotation)."""
    return Union[monitor_config_types()]  # noqa: UP007 (built at run time)


def data_of(config) -> ModuleType:
    """The data module (`load`, `validate`) of the use case a training config is for."""
    return resolve(_of_config(config, "training_params").data)


def monitor_of(config) -> ModuleType:
    """The monitor module (`load_batch`, `source`, `check`) of the use case a config is for."""
    return resolve(_of_config(config, "monitor_params").monitor)


def _of_config(config, params: str) -> UseCase:
    for use_case in _ALL:
        if type(config) is resolve(getattr(use_case, params)):
            return use_case
    raise TypeError(f"{type(config).__name__} is no use case's {params.replace('_', ' ')}")
