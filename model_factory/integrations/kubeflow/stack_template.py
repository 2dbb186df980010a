"""The Kubeflow stack definition (zenml_config/stacks/kubeflow.yaml), filled from Terraform.

The file is a `zenml stack import` document whose `${name}` placeholders name outputs of
`terraform output -json` (infra/terraform/envs/*), plus two values computed here: the installed
ZenML version (`zenml stack import` refuses any other) and the container registry flavor. Values
missing from the outputs (e.g. the artifact bucket of a kind cluster) come from `--set name=value`.
"""

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from model_factory.config import read_yaml
from model_factory.errors import InputError

STACK_FILE = Path("stacks") / "kubeflow.yaml"  # in the config folder (zenml_config/)
PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
# Artifact Registry or Container Registry: ZenML's `gcp` flavor; anything else `default`.
GCP_REGISTRY = re.compile(r"([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)/")
COMPUTED = {"zenml_version", "container_registry_flavor"}  # by `_computed`, not from outputs


def terraform_values(path: Path) -> dict[str, Any]:
    """The non-sensitive, non-null values of a `terraform output -json` file."""
    try:
        outputs = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a `terraform output -json` file ({exc})") from exc
    if not isinstance(outputs, dict) or not all(
        isinstance(o, dict) and "value" in o for o in outputs.values()
    ):
        raise InputError(f"{path}: not a `terraform output -json` file (no output values)")
    return {
        name: output["value"]
        for name, output in outputs.items()
        if output["value"] is not None and not output.get("sensitive")
    }


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """`--set name=value` options as a mapping."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not PLACEHOLDER.fullmatch(f"${{{name}}}"):
            raise InputError(f"--set {pair!r}: expected NAME=VALUE with a lowercase NAME")
        values[name] = value
    return values


def render(template: Path, outputs: dict[str, Any], sets: dict[str, str]) -> dict[str, Any]:
    """The stack document: every `${name}` replaced, from `sets` first, then `outputs`."""
    document = read_yaml(template, "stack definition")
    wanted = _placeholders(document)
    if unused := set(sets) - wanted:
        raise InputError(f"--set {', '.join(sorted(unused))}: {template} has no such placeholder")
    values = {**outputs, **_computed(outputs | sets), **sets}
    if missing := sorted(wanted - set(values)):
        missing = [name for name in missing if name not in COMPUTED] or missing
        raise InputError(
            f"{template} needs {', '.join(missing)}: not in the Terraform outputs; "
            "pass --set NAME=VALUE"
        )
    return _substitute(document, values)


def _computed(values: dict[str, Any]) -> dict[str, str]:
    computed = {"zenml_version": version("zenml")}
    if registry := values.get("image_registry"):
        computed["container_registry_flavor"] = (
            "gcp" if GCP_REGISTRY.match(str(registry)) else "default"
        )
    return computed


def _placeholders(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set().union(*map(_placeholders, node.values()))
    if isinstance(node, list):
        return set().union(*map(_placeholders, node))
    return set(PLACEHOLDER.findall(node)) if isinstance(node, str) else set()


def _substitute(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if not isinstance(node, str):
        return node
    if whole := PLACEHOLDER.fullmatch(node):  # keep the value's type (numbers, booleans)
        return values[whole[1]]
    return PLACEHOLDER.sub(lambda match: str(values[match[1]]), node)
