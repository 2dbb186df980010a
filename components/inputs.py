"""A pipeline's inputs generated from its config type: the `@dsl.pipeline` signature and the
`resolve-config` task that validates them, one typed input per flattened config key
(model_factory/integrations/kubeflow/flat_config.py), so no pipeline lists its config keys by hand.

KFP reads a pipeline's inputs with `inspect.signature`, which honours `__signature__`:
`flat_pipeline` gives the body the generated signature and hands it the inputs as one dict. A
component's source is shipped to its pod (`inspect.getsource`) and called there with its annotated
parameters, so `resolver` writes that source and registers it with `linecache` (as dataclasses
do) for `getsource` to find.
"""

import inspect
import itertools
import linecache
import sys
from collections.abc import Callable, Collection
from typing import Any, NamedTuple

from kfp import dsl
from kfp.dsl.base_component import BaseComponent
from kfp.dsl.pipeline_channel import PipelineChannel
from pydantic import BaseModel

from components.platform import alert_on_failure, component
from model_factory.config import KubeflowRegistration
from model_factory.integrations.kubeflow.flat_config import flatten, input_types

# The flattened `kubeflow:` keys of a run config that say where a run registers its model: fixed
# when compiling (no registration task at all without a ZenML server), never inputs; constants of
# `resolve-config` (`registration`), so the tasks read them from the config as any other key.
REGISTRATION = frozenset(f"kubeflow_{key}" for key in KubeflowRegistration.model_fields)


def registration(compiled: BaseModel) -> dict[str, Any]:
    """The `REGISTRATION` values of a training config being compiled, for `resolve-config`; empty
    without a ZenML server (nothing registers, and no address enters the YAML)."""
    flat = flatten(compiled.kubeflow if compiled.kubeflow.zenml_url else KubeflowRegistration())
    return {f"kubeflow_{key}": flat[key] for key in KubeflowRegistration.model_fields}


_sources = itertools.count()

# `resolve-config`'s source: the run's inputs validated into the config as JSON.
_SOURCE = '''def resolve_config(
{parameters}) -> {returns}:
    """Validate the run's inputs once; every later task reads the config from this {what}."""
    inputs = {inputs}
{imports}
    {result}
'''


class Inputs(NamedTuple):
    """A pipeline's inputs: its config type flattened, less the keys that mean nothing on KFP
    (`zenml_only`) and those compiled in (`compile_time`); its registry entry takes all three."""

    params: type[BaseModel]
    zenml_only: frozenset[str] = frozenset()
    compile_time: frozenset[str] = frozenset()

    def pipeline(
        self, *, alert: str | None = None, **decorator: Any
    ) -> Callable[[Callable[[dict], Any]], BaseComponent]:
        """`@dsl.pipeline(**decorator)` over a body taking these inputs as one dict; with `alert`
        (a model name) the body runs under the exit handler that alerts a failed run about it
        (`platform.alert_on_failure`); without, as a pipeline nested in one that alerts (a
        monitor's retraining): one failure, one alert."""
        flat = flat_pipeline(self.params, self.zenml_only | self.compile_time, **decorator)
        return lambda body: flat(body if alert is None else alert_on_failure(alert)(body))

    def resolver(self, constants: Collection[str] = (), *, to_artifact: bool = False):
        """The `resolve-config` task of these inputs, plus the compile-time keys the pipeline
        passes it as `constants` (part of the config every task reads)."""
        exclude = self.zenml_only | (self.compile_time - set(constants))
        return resolver(self.params, exclude, to_artifact=to_artifact)


def run_config(resolver: BaseComponent, inputs: dict, **constants: Any) -> PipelineChannel:
    """A pipeline's first task: `resolver` over its `inputs` (plus the compile-time `constants`);
    its one output, the validated config (JSON, or its file), is what every later task reads."""
    return resolver(**inputs, **constants).set_display_name("Check the run config").output


def flat_pipeline(
    params: type[BaseModel], exclude: Collection[str] = (), **decorator: Any
) -> Callable[[Callable[[dict], Any]], BaseComponent]:
    """`@dsl.pipeline(**decorator)` over a body taking `{input name: channel}`: the inputs are
    `params` flattened, except `exclude` (flattened names)."""
    signature = inspect.Signature(
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=kind)
        for name, kind in input_types(params, exclude).items()
    )

    def decorate(body: Callable[[dict], Any]) -> BaseComponent:
        def run(*args: Any, **kwargs: Any) -> Any:
            return body(dict(signature.bind(*args, **kwargs).arguments))

        returns = inspect.signature(body).return_annotation
        run.__signature__ = signature.replace(return_annotation=returns)
        run.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        run.__annotations__["return"] = returns
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(run, attribute, getattr(body, attribute))
        return dsl.pipeline(**decorator)(run)

    return decorate


def resolver(
    params: type[BaseModel], exclude: Collection[str] = (), *, to_artifact: bool = False
) -> BaseComponent:
    """The task that validates a run's inputs (`params` flattened, except `exclude`) once and
    returns the config as JSON, or writes it to its `run_config` artifact (`to_artifact`)."""
    module = sys.modules[params.__module__]
    # Its name in its module (pydantic also files a generic's parametrization under its repr).
    names = [k for k, v in vars(module).items() if v is params and k.isidentifier()]
    if not names:  # the task imports it by name
        raise ValueError(f"{params.__qualname__}: not a top-level name of {params.__module__}")
    name = names[0]
    imports = [
        f"from {params.__module__} import {name}",
        "from model_factory.integrations.kubeflow.flat_config import unflatten",
    ]
    validated = f"unflatten({name}, inputs).model_dump_json()"
    parameters = [f"{key}: {kind.__name__}" for key, kind in input_types(params, exclude).items()]
    if to_artifact:
        text = _SOURCE.format(
            parameters="".join(
                f"    {p},\n" for p in [*parameters, "run_config: dsl.Output[dsl.Artifact]"]
            ),
            returns="None",
            what="JSON file",
            inputs='{k: v for k, v in locals().items() if k != "run_config"}  # the inputs above',
            imports="".join(
                f"    {line}\n" for line in ["from pathlib import Path\n", *sorted(imports)]
            ),
            result=f"Path(run_config.path).write_text({validated})",
        )
    else:
        text = _SOURCE.format(
            parameters="".join(f"    {p},\n" for p in parameters),
            returns="str",
            what="JSON",
            inputs="dict(locals())  # first statement: exactly the inputs above",
            imports="".join(f"    {line}\n" for line in sorted(imports)),
            result=f"return {validated}",
        )
    filename = f"<resolve_config {next(_sources)}: {params.__module__}.{name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {"__name__": __name__, "dsl": dsl}
    exec(compile(text, filename, "exec"), namespace)
    return component(namespace["resolve_config"])
