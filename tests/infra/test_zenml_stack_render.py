"""The stack Terraform renders is one ZenML 0.98 accepts.

zenml-stack-render runs for real with `terraform apply` (it has no provider), then its
output is checked against ZenML's own flavors and component config models, in both the
typed form (`zenml stack import`) and the all-strings form (zenml-io/zenml provider); and
the YAML is imported with the real `zenml stack import` into a throw-away local store."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from infra_hcl import MODULES, run_terraform

KUBEFLOW_NEEDS = {"orchestrator", "artifact_store", "container_registry", "image_builder"}
ZENML_VERSION = importlib.metadata.version("zenml")

# Inputs of the shape the environments pass (envs/gke/main.tf local.stack,
# envs/local-kind/main.tf module.zenml_stack), with placeholder project names.
STACKS: dict[str, dict[str, Any]] = {
    "gke": {
        "stack_name": "model-factory-gke",
        "zenml_version": ZENML_VERSION,
        "kubeflow": {
            "kubernetes_context": "gke_my-project_europe-west1-b_model-factory",
            "kubeflow_namespace": "kubeflow",
        },
        "artifact_store": {
            "flavor": "gcp",
            "path": "gs://my-project-model-factory-artifacts/zenml",
        },
        "container_registry": {
            "flavor": "gcp",
            "uri": "europe-west1-docker.pkg.dev/my-project/model-factory",
        },
    },
    "local-kind": {
        "stack_name": "model-factory-kind",
        "zenml_version": ZENML_VERSION,
        "kubeflow": {"kubernetes_context": "kind-model-factory", "kubeflow_namespace": "kubeflow"},
        "artifact_store": {"flavor": "s3", "path": "s3://model-factory-artifacts"},
        "container_registry": {"flavor": "default", "uri": "127.0.0.1:5001"},
        "image_builder": {"flavor": "kaniko", "kubernetes_context": "kind-model-factory"},
    },
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Apply zenml-stack-render once per stack and return its outputs."""
    tmp = tmp_path_factory.mktemp("render")
    root = tmp / "root"
    root.mkdir()
    source = str(MODULES / "zenml-stack-render")
    config = {
        "module": {
            name.replace("-", "_"): {"source": source, **inputs} for name, inputs in STACKS.items()
        },
        "output": {
            f"{name.replace('-', '_')}_{out}": {
                "value": f"${{module.{name.replace('-', '_')}.{out}}}"
            }
            for name in STACKS
            for out in ("import_yaml", "provider_components")
        },
    }
    (root / "main.tf.json").write_text(json.dumps(config))
    run_terraform(["init", "-backend=false", "-input=false"], root, tmp)
    run_terraform(["apply", "-auto-approve", "-input=false"], root, tmp)
    outputs = json.loads(run_terraform(["output", "-json"], root, tmp).stdout)
    return {
        name: {
            "document": yaml.safe_load(outputs[f"{name.replace('-', '_')}_import_yaml"]["value"]),
            "yaml": outputs[f"{name.replace('-', '_')}_import_yaml"]["value"],
            "provider": outputs[f"{name.replace('-', '_')}_provider_components"]["value"],
        }
        for name in STACKS
    }


@pytest.fixture(scope="module")
def flavors() -> dict[tuple[str, str], Any]:
    """ZenML's built-in and integration flavors by (component type, flavor name)."""
    from zenml.stack.flavor_registry import FlavorRegistry

    registry = FlavorRegistry()
    found = {}
    for flavor_class in [*registry.builtin_flavors, *registry.integration_flavors]:
        flavor = flavor_class()
        found[(flavor.type.value, str(getattr(flavor.name, "value", flavor.name)))] = flavor
    return found


def _validated(flavor: Any, configuration: dict[str, Any]) -> Any:
    """What ZenML does on registration (zenml.stack.utils.validate_stack_component_config):
    reject keys the config model does not have (the model itself ignores them), then build it."""
    config_class = flavor.config_class
    unknown = set(configuration) - set(config_class.model_fields)
    assert not unknown, f"{config_class.__name__} has no field(s) {sorted(unknown)}"
    return config_class(**configuration)


@pytest.mark.parametrize("stack", list(STACKS))
def test_the_import_document_has_the_shape_zenml_stack_import_reads(
    rendered: dict[str, Any], stack: str
) -> None:
    from zenml.enums import StackComponentType

    document = rendered[stack]["document"]
    assert document["stack_name"] == STACKS[stack]["stack_name"]
    assert document["zenml_version"] == ZENML_VERSION
    assert set(document["components"]) == KUBEFLOW_NEEDS
    for type_name, components in document["components"].items():
        StackComponentType(type_name)
        assert len(components) == 1
        assert {"name", "type", "flavor", "configuration"} == set(components[0])
        assert components[0]["type"] == type_name


@pytest.mark.parametrize("stack", list(STACKS))
def test_every_component_validates_against_zenml_config_models(
    rendered: dict[str, Any], flavors: dict[tuple[str, str], Any], stack: str
) -> None:
    for type_name, [component] in rendered[stack]["document"]["components"].items():
        key = (type_name, component["flavor"])
        assert key in flavors, f"ZenML {ZENML_VERSION} has no {component['flavor']} {type_name}"
        config = _validated(flavors[key], component["configuration"])
        if type_name == "artifact_store":
            assert not config.is_local, "Kubeflow steps need a remote artifact store"
        if type_name == "container_registry":
            assert not config.is_local, "the Kubeflow orchestrator rejects a local registry"
        if type_name == "orchestrator":
            assert config.kubernetes_context == STACKS[stack]["kubeflow"]["kubernetes_context"]


@pytest.mark.parametrize("stack", list(STACKS))
def test_the_provider_strings_mean_the_same_configuration(
    rendered: dict[str, Any], flavors: dict[tuple[str, str], Any], stack: str
) -> None:
    document = rendered[stack]["document"]["components"]
    provider = rendered[stack]["provider"]
    assert set(provider) == set(document)
    for type_name, component in provider.items():
        [typed] = document[type_name]
        assert (component["name"], component["flavor"]) == (typed["name"], typed["flavor"])
        assert all(isinstance(v, str) for v in component["configuration"].values())
        flavor = flavors[(type_name, component["flavor"])]
        from_strings = _validated(flavor, component["configuration"]).model_dump()
        assert from_strings == _validated(flavor, typed["configuration"]).model_dump()


@pytest.mark.slow  # a fresh interpreter and SQLite store: ~15-20 s
def test_zenml_stack_import_accepts_the_rendered_yaml(
    rendered: dict[str, Any], tmp_path: Path
) -> None:
    files = []
    for stack, outputs in rendered.items():
        file = tmp_path / f"{stack}.yaml"
        file.write_text(outputs["yaml"])
        files.append(str(file))
    # A fresh process and config directory: a local SQLite store that nothing else shares.
    script = textwrap.dedent(
        """
        import json, sys
        from click.testing import CliRunner
        from zenml.cli.cli import cli
        from zenml.client import Client

        imported = {}
        for path in sys.argv[1:]:
            result = CliRunner().invoke(cli, ["stack", "import", path])
            if result.exit_code != 0:
                detail = f"{result.output}\\n{result.exception!r}"
                sys.exit(f"zenml stack import {path} failed:\\n{detail}")
        for stack in Client().list_stacks(size=100).items:
            imported[stack.name] = {
                t.value: {"name": c.name, "flavor": c.flavor_name, "configuration": c.configuration}
                for t, [c] in stack.components.items()
            }
        print(json.dumps(imported))
        """
    )
    env = {
        **os.environ,
        "ZENML_CONFIG_PATH": str(tmp_path / "zenml-config"),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_LOGGING_VERBOSITY": "ERROR",
        "ZENML_AUTO_OPEN_DASHBOARD": "false",
    }
    result = subprocess.run(
        [sys.executable, "-c", script, *files],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    for outputs in rendered.values():
        name = outputs["document"]["stack_name"]
        assert name in imported, f"{name} was not created"
        for type_name, [component] in outputs["document"]["components"].items():
            got = imported[name][type_name]
            assert (got["name"], got["flavor"]) == (component["name"], component["flavor"])
            for key, value in component["configuration"].items():
                assert got["configuration"][key] == value, f"{name} {type_name}.{key}"
