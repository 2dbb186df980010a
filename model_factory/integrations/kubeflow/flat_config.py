"""A run config as flat, typed parameters: how it appears as Kubeflow pipeline inputs.

A KFP run form shows one typed field per pipeline input, so every config key becomes one input:
a nested section's fields are named `<section>_<field>` (`search.n_candidates` is
`search_n_candidates`) and `None` is the empty value of the input's type, `[]` for a list and
`""` for text (KFP parameters cannot be null, and a LIST input cannot default to a string); a
null number or boolean has no such form and is refused.
`unflatten` reverses this and validates the result as strictly as `load_run_config`, and
`input_types` gives each input's type from the config type alone: what a pipeline's signature
declares (components/inputs.py generates the signatures from it).
"""

import types
import typing
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from model_factory.config import P, parse
from model_factory.errors import InputError


def flatten(config: BaseModel, exclude: Collection[str] = ()) -> dict[str, Any]:
    """{input name: JSON-compatible value} for every field of `config` not in `exclude` (flat
    names: `retraining_promote` leaves out `promote` of the section `retraining`)."""
    flat: dict[str, Any] = {}
    for name, field in type(config).model_fields.items():
        if name in exclude:
            continue
        value = getattr(config, name)
        if value is None and _empty(field) is None:
            raise InputError(
                f"{type(config).__name__}.{name}: null has no Kubeflow input form (a number or "
                "boolean input cannot be empty); set a value to compile"
            )
        items = (
            {f"{name}_{key}": inner for key, inner in flatten(value, _inner(exclude, name)).items()}
            if isinstance(value, BaseModel)
            else {name: _empty(field) if value is None else to_jsonable_python(value)}
        )
        for key, inner in items.items():
            if key in flat:
                raise ValueError(f"{type(config).__name__}: two fields flatten to {key!r}")
            flat[key] = inner
    return flat


def input_types(params: type[BaseModel], exclude: Collection[str] = ()) -> dict[str, type]:
    """{input name: its KFP parameter type (str, int, float, bool, list or dict)} for every key
    `flatten` gives a config of `params`, in field order."""
    types_: dict[str, type] = {}
    for name, field in params.model_fields.items():
        if name in exclude:
            continue
        if _is_section(field):
            inner = input_types(field.annotation, _inner(exclude, name))
            types_.update({f"{name}_{key}": kind for key, kind in inner.items()})
        else:
            types_[name] = _kind(field)
    return types_


def unflatten(params: type[P], flat: Mapping[str, Any], source: str = "pipeline inputs") -> P:
    """The validated config from flat inputs; keys left out take the model's defaults."""
    nested, used = _nest(params, flat, prefix="")
    if unknown := sorted(set(flat) - used):
        raise InputError(f"{source}: unknown input(s) {', '.join(unknown)}")
    return parse(params, nested, source)


def _nest(model: type[BaseModel], flat: Mapping[str, Any], prefix: str) -> tuple[dict, set]:
    nested: dict[str, Any] = {}
    used: set[str] = set()
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        if _is_section(field):
            inner, inner_used = _nest(field.annotation, flat, prefix=f"{key}_")
            if inner_used:
                nested[name] = inner
                used |= inner_used
        elif key in flat:
            value = flat[key]
            nested[name] = None if _allows_none(field) and value == _empty(field) else value
            used.add(key)
    return nested, used


def _inner(exclude: Collection[str], section: str) -> list[str]:
    """The names in `exclude` of the section's fields, without the section's prefix."""
    return [e.removeprefix(f"{section}_") for e in exclude if e.startswith(f"{section}_")]


def _is_section(field: FieldInfo) -> bool:
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


def _empty(field: FieldInfo) -> Any:
    """How `None` appears as an input of this field's type: `[]` for a list, `""` for text
    (and dates); None when there is no such form (KFP numbers and booleans)."""
    kinds = typing.get_args(field.annotation) or (field.annotation,)
    if any(typing.get_origin(kind) is list for kind in kinds):
        return []
    return None if any(kind in (int, float, bool) for kind in kinds) else ""


def _kind(field: FieldInfo) -> type:
    """The input type `flatten`'s JSON value of this field has: a tuple is a list, a mapping a
    dict; a date, a path or a literal is text; None is the empty value of the other member."""
    kinds = [k for k in typing.get_args(field.annotation) if k is not type(None)]
    kind = kinds[0] if _allows_none(field) and len(kinds) == 1 else field.annotation
    origin = typing.get_origin(kind) or kind
    if origin in (list, tuple):
        return list
    if origin in (dict, Mapping):
        return dict
    if origin is typing.Literal:
        return type(typing.get_args(kind)[0])
    return origin if origin in (bool, int, float) else str


def _allows_none(field: FieldInfo) -> bool:
    is_union = typing.get_origin(field.annotation) in (typing.Union, types.UnionType)
    return is_union and type(None) in typing.get_args(field.annotation)
