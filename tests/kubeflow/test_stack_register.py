"""`model-factory stack register`: zenml_config/stacks/kubeflow.yaml filled from Terraform outputs.

The outputs used here have exactly the names the environments declare (parsed from their
outputs.tf); the filled stack is checked with ZenML's own registration check for each flavor,
compared with what Terraform's zenml-stack-render module renders for the same inputs (applied
for real, it has no provider), and registered into this process's ZenML store.
"""

import json
from pathlib import Path

import pytest
import yaml
from infra_hcl import MODULES, run_terraform
from terraform_outputs import CONTEXT, GKE_VALUES, KIND_SETS, KIND_VALUES, PROJECT, outputs_json

from model_factory.errors import InputError
from model_factory.integrations.kubeflow import stack_template
from support import PROJECT_ROOT, run_main

TEMPLATE = PROJECT_ROOT / "zenml_config" / stack_template.STACK_FILE


def _render(tmp_path: Path, env: str, values: dict, sets: dict | None = None) -> dict:
    outputs = stack_template.terraform_values(outputs_json(tmp_path, env, values))
    return stack_template.render(TEMPLATE, outputs, sets or {})


def test_gke_outputs_fill_every_placeholder(tmp_path):
    document = _render(tmp_path, "gke", GKE_VALUES)

    assert "${" not in json.dumps(document)
    assert document["zenml_server_url"] == "https://zenml.example.com"
    assert document["stack_name"] == "model-factory-gke"
    [orchestrator] = document["components"]["orchestrator"]
    assert orchestrator["configuration"]["kubernetes_context"] == CONTEXT
    [store] = document["components"]["artifact_store"]
    assert store["configuration"]["path"] == f"gs://{PROJECT}-model-factory-artifacts/zenml"
    [registry] = document["components"]["container_registry"]
    assert (registry["flavor"], registry["configuration"]["uri"]) == (
        "gcp",
        GKE_VALUES["image_registry"],
    )


def test_kind_outputs_need_three_sets_and_say_which(tmp_path):
    with pytest.raises(InputError) as error:
        _render(tmp_path, "local-kind", KIND_VALUES)
    assert "needs artifact_bucket, zenml_server_url, zenml_stack_name" in str(error.value)
    assert "pass --set NAME=VALUE" in str(error.value)

    document = _render(tmp_path, "local-kind", KIND_VALUES, KIND_SETS)
    [registry] = document["components"]["container_registry"]
    assert (registry["flavor"], registry["configuration"]["uri"]) == ("default", "127.0.0.1:5001")


def test_sensitive_and_null_outputs_are_not_values(tmp_path):
    values = stack_template.terraform_values(outputs_json(tmp_path, "gke", GKE_VALUES))
    assert "zenml_admin_password" not in values and "zenml_stack_id" not in values
    assert values["kfp_namespace"] == "kubeflow"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["kfp_namspace=x"], "--set kfp_namspace: .* has no such placeholder"),
        (["kfp_namespace"], "expected NAME=VALUE"),
        (["Bad-Name=x"], "expected NAME=VALUE"),
    ],
)
def test_bad_sets_are_refused(tmp_path, sets, message):
    outputs = stack_template.terraform_values(outputs_json(tmp_path, "gke", GKE_VALUES))
    with pytest.raises(InputError, match=message):
        stack_template.render(TEMPLATE, outputs, stack_template.parse_sets(sets))


def test_a_file_that_is_not_terraform_output_is_refused(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"kfp_namespace": "kubeflow"}))
    with pytest.raises(InputError, match="not a `terraform output -json` file"):
        stack_template.terraform_values(path)


# --- ZenML's own checks -----------------------------------------------------------------------


@pytest.mark.parametrize("env", ["gke", "local-kind"])
def test_every_component_passes_zenmls_registration_check(tmp_path, env):
    from model_factory.integrations import zenml_stack

    values, sets = (GKE_VALUES, {}) if env == "gke" else (KIND_VALUES, KIND_SETS)
    document = _render(tmp_path, env, values, sets)
    checked = zenml_stack.components(document)
    assert {kind.value for kind, _ in checked} == {
        "orchestrator", "artifact_store", "container_registry", "image_builder"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"artifact_bucket": "s3://bucket"}, "does not start with one of its supported schemes"),
        ({"image_registry": "localhost:5000"}, "is local; Kubeflow pods cannot reach it"),
        ({"kfp_namespace": 7}, "kubeflow_namespace: Input should be a valid string"),
    ],
)
def test_zenml_refuses_a_wrong_component_in_one_line(tmp_path, change, message):
    from model_factory.integrations import zenml_stack

    document = _render(tmp_path, "gke", {**GKE_VALUES, **change})
    with pytest.raises(InputError, match=message) as error:
        zenml_stack.components(document)
    assert "\n" not in str(error.value)


def test_an_unknown_key_or_flavor_in_the_definition_is_refused(tmp_path):
    from model_factory.integrations import zenml_stack

    document = _render(tmp_path, "gke", GKE_VALUES)
    document["components"]["orchestrator"][0]["configuration"]["kubeflow_hostnme"] = "x"
    with pytest.raises(InputError, match="kubeflow_hostnme"):
        zenml_stack.components(document)
    document = _render(tmp_path, "gke", GKE_VALUES)
    document["components"]["image_builder"][0]["flavor"] = "kanikoo"
    with pytest.raises(InputError, match="ZenML has no such flavor"):
        zenml_stack.components(document)


# --- the same stack as Terraform's ------------------------------------------------------------


def test_the_definition_and_terraforms_rendering_are_the_same_stack(tmp_path):
    """envs/gke passes zenml-stack-render these inputs from the same values its outputs carry."""
    inputs = {
        "stack_name": GKE_VALUES["zenml_stack_name"],
        "zenml_version": stack_template.version("zenml"),
        "kubeflow": {
            "kubernetes_context": GKE_VALUES["kubernetes_context"],
            "kubeflow_namespace": GKE_VALUES["kfp_namespace"],
        },
        "artifact_store": {"flavor": "gcp", "path": f"{GKE_VALUES['artifact_bucket']}/zenml"},
        "container_registry": {"flavor": "gcp", "uri": GKE_VALUES["image_registry"]},
    }
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf.json").write_text(json.dumps({
        "module": {"stack": {"source": str(MODULES / "zenml-stack-render"), **inputs}},
        "output": {"document": {"value": "${module.stack.import_yaml}"}},
    }))  # fmt: skip
    run_terraform(["init", "-backend=false", "-input=false"], root, tmp_path)
    run_terraform(["apply", "-auto-approve", "-input=false"], root, tmp_path)
    rendered = json.loads(run_terraform(["output", "-json"], root, tmp_path).stdout)
    terraform = yaml.safe_load(rendered["document"]["value"])

    ours = _render(tmp_path, "gke", GKE_VALUES)
    assert {k: v for k, v in ours.items() if k != "zenml_server_url"} == terraform


# --- registering ------------------------------------------------------------------------------


@pytest.fixture
def restore_active_stack():
    """Tests in this process run pipelines on the default stack: give it back."""
    from zenml.client import Client

    active = Client().active_stack_model.id
    yield
    Client().activate_stack(active)


def test_register_creates_then_updates_in_place_and_activates(tmp_path, restore_active_stack):
    from zenml.client import Client

    from model_factory.integrations import zenml_stack

    values = {**GKE_VALUES, "zenml_stack_name": "mf-register-test"}
    first = zenml_stack.register(_render(tmp_path, "gke", values))
    assert first == [
        "orchestrator mf-register-test-kubeflow (kubeflow): created",
        "artifact_store mf-register-test-artifacts (gcp): created",
        "container_registry mf-register-test-registry (gcp): created",
        "image_builder mf-register-test-local-builder (local): created",
        "stack mf-register-test: created",
    ]
    client = Client()
    assert client.active_stack_model.name == "mf-register-test"
    orchestrator = client.get_stack_component("orchestrator", "mf-register-test-kubeflow")
    assert orchestrator.configuration["kubernetes_context"] == CONTEXT

    again = zenml_stack.register(_render(tmp_path, "gke", values))
    assert all(line.endswith(": unchanged") for line in again), again

    moved = zenml_stack.register(_render(tmp_path, "gke", {**values, "kfp_namespace": "kfp"}))
    assert moved[0] == "orchestrator mf-register-test-kubeflow (kubeflow): updated"
    assert all(line.endswith(": unchanged") for line in moved[1:]), moved
    updated = client.get_stack_component("orchestrator", "mf-register-test-kubeflow")
    assert updated.id == orchestrator.id
    assert updated.configuration["kubeflow_namespace"] == "kfp"


def test_cli_refuses_to_register_unless_logged_in_to_the_stacks_server(tmp_path):
    outputs = outputs_json(tmp_path, "gke", GKE_VALUES)
    code, out, err = run_main("stack", "register", "--from", str(outputs))
    assert code == 2 and out == ""
    assert err.startswith("error: ZenML is connected to a local store (sqlite:")
    assert err.strip().endswith(
        "not https://zenml.example.com: log in first: zenml login https://zenml.example.com"
    )
