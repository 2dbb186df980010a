"""Static checks of infra/terraform: typed and described interfaces, pinned versions, and
module calls that match the modules they call. Offline: parses HCL, downloads nothing."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import subprocess
from pathlib import Path

import hcl2
import pytest
from infra_hcl import (
    ENVS,
    MODULE_META_ARGUMENTS,
    MODULES,
    REPO_ROOT,
    TERRAFORM_ROOT,
    TerraformDir,
    all_dirs,
    env_dirs,
    is_provider_free,
    load_dir,
    module_dirs,
    strings_in,
)

ALL = [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in all_dirs()]
SECRET_NAME = re.compile(r"password|secret|api_key|token|database_url|private_key", re.I)


def test_the_tree_has_the_expected_modules_and_environments() -> None:
    modules = {p.name for p in module_dirs()}
    assert {"kubeflow-pipelines", "zenml-server", "zenml-stack", "zenml-stack-render"} <= modules
    assert {p.name for p in env_dirs()} == {"local-kind", "gke"}


@pytest.mark.parametrize("path", ALL)
def test_every_variable_is_typed_described_and_its_validations_explain_themselves(
    path: Path,
) -> None:
    tf = load_dir(path)
    for name, body in tf.variables.items():
        assert body.get("type"), f"{tf.name}: variable {name} has no type"
        assert str(body.get("description", "")).strip(), f"{tf.name}: {name} has no description"
        for rule in body.get("validation", []):
            assert rule.get("condition") and str(rule.get("error_message", "")).strip(), (
                f"{tf.name}: a validation of {name} lacks a condition or an error_message"
            )


@pytest.mark.parametrize("path", ALL)
def test_every_output_is_described(path: Path) -> None:
    tf = load_dir(path)
    for name, body in tf.outputs.items():
        assert str(body.get("description", "")).strip(), f"{tf.name}: output {name} undescribed"


@pytest.mark.parametrize("path", ALL)
def test_secret_values_are_marked_sensitive(path: Path) -> None:
    tf = load_dir(path)
    for name, body in tf.variables.items():
        if SECRET_NAME.search(name):
            assert body.get("sensitive") is True, f"{tf.name}: variable {name} must be sensitive"
    for name, body in tf.outputs.items():
        value = " ".join(strings_in(body.get("value")))
        if SECRET_NAME.search(name) or re.search(
            r"random_password\.|\.database_url|\.admin_password|var\.zenml_api_key", value
        ):
            assert body.get("sensitive") is True, f"{tf.name}: output {name} must be sensitive"


@pytest.mark.parametrize("path", ALL)
def test_terraform_and_providers_are_pinned(path: Path) -> None:
    tf = load_dir(path)
    assert tf.required_version and tf.required_version.startswith("~>"), (
        f"{tf.name}: required_version must be pinned with ~>"
    )
    for local_name, spec in tf.required_providers.items():
        assert isinstance(spec, dict) and spec.get("source"), f"{tf.name}: {local_name} no source"
        assert str(spec.get("version", "")).startswith("~>"), (
            f"{tf.name}: provider {local_name} must be pinned with ~>"
        )
    used = {key.split(".")[0].split("_")[0] for key in [*tf.resources, *tf.data]}
    used.discard("terraform")  # terraform_data is built in
    assert used <= set(tf.required_providers), (
        f"{tf.name}: resources of undeclared providers {used - set(tf.required_providers)}"
    )


def test_modules_meant_to_be_tested_offline_stay_provider_free() -> None:
    # The stack rendering and the KFP install run `terraform test` here, without downloads.
    for name in ("zenml-stack-render", "kubeflow-pipelines"):
        assert is_provider_free(load_dir(MODULES / name)), f"{name} must need no provider"


def _module_calls() -> list[tuple[TerraformDir, str, dict, TerraformDir]]:
    calls = []
    for path in all_dirs():
        caller = load_dir(path)
        for name, body in caller.modules.items():
            source = (path / body["source"]).resolve()
            assert source.is_dir(), f"{caller.name}: module {name} source {source} missing"
            calls.append((caller, name, body, load_dir(source)))
    return calls


def test_every_module_input_an_environment_passes_exists_and_required_ones_are_passed() -> None:
    calls = _module_calls()
    assert calls, "no module call found"
    for caller, name, body, child in calls:
        passed = set(body) - MODULE_META_ARGUMENTS
        unknown = passed - set(child.variables)
        assert not unknown, f"{caller.name}: module {name} passes unknown inputs {unknown}"
        required = {v for v, spec in child.variables.items() if "default" not in spec}
        missing = required - passed
        assert not missing, f"{caller.name}: module {name} misses required inputs {missing}"


def test_every_module_output_referenced_exists() -> None:
    for path in all_dirs():
        caller = load_dir(path)
        calls = {
            name: load_dir((path / body["source"]).resolve())
            for name, body in caller.modules.items()
        }
        text = " ".join(s for doc in caller.raw for s in strings_in(doc))
        for module, output in re.findall(
            r"module\.([A-Za-z0-9_]+)(?:\[[^\]]*\])?\.([A-Za-z0-9_]+)", text
        ):
            assert module in calls, f"{caller.name}: reference to undeclared module.{module}"
            assert output in calls[module].outputs, (
                f"{caller.name}: module.{module} has no output {output}"
            )


@pytest.mark.parametrize("path", ALL)
def test_every_referenced_variable_and_local_is_declared(path: Path) -> None:
    tf = load_dir(path)
    text = " ".join(s for doc in tf.raw for s in strings_in(doc))
    for name in set(re.findall(r"\bvar\.([A-Za-z0-9_]+)", text)):
        assert name in tf.variables, f"{tf.name}: var.{name} is not declared"
    for name in set(re.findall(r"\blocal\.([A-Za-z0-9_]+)", text)):
        assert name in tf.locals, f"{tf.name}: local.{name} is not declared"


def test_every_module_is_used_by_an_environment_or_another_module() -> None:
    used = {
        (path / body["source"]).resolve()
        for path in all_dirs()
        for body in load_dir(path).modules.values()
    }
    unused = {p.name for p in module_dirs()} - {p.name for p in used}
    assert not unused, f"modules nobody calls: {unused}"


def _defaults(name: str) -> dict[str, str]:
    """Default of a variable called `name`, in every directory that declares it."""
    return {
        load_dir(p).name: load_dir(p).variables[name]["default"]
        for p in all_dirs()
        if name in load_dir(p).variables and "default" in load_dir(p).variables[name]
    }


def test_kfp_version_is_pinned_once_and_everywhere_the_same() -> None:
    pins = _defaults("pipelines_version") | _defaults("kfp_version")
    assert set(pins) == {"modules/kubeflow-pipelines", "envs/local-kind", "envs/gke"}
    assert len(set(pins.values())) == 1, f"KFP versions disagree: {pins}"


def test_zenml_server_chart_and_stack_documents_match_the_installed_client() -> None:
    # ZenML clients and servers must run the same release, and `zenml stack import` refuses a
    # document written for another version.
    installed = importlib.metadata.version("zenml")
    pins = _defaults("chart_version") | _defaults("zenml_version")
    assert set(pins) >= {"modules/zenml-server", "envs/local-kind", "envs/gke"}
    assert set(pins.values()) == {installed}, f"expected {installed} everywhere, got {pins}"


def test_the_zenml_server_database_is_mysql_as_zenml_requires() -> None:
    # Read ZenML's SQLDatabaseDriver enum from its source: importing the SQL store takes
    # seconds, and the members are plain string constants.
    spec = importlib.util.find_spec("zenml")  # a top-level spec does not import the package
    assert spec and spec.submodule_search_locations
    source = Path(spec.submodule_search_locations[0], "zen_stores", "sql_zen_store.py")
    tree = ast.parse(source.read_text())
    [enum] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "SQLDatabaseDriver"]
    drivers = {
        node.value.value
        for node in enum.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    }
    assert "mysql" in drivers, f"unexpected ZenML drivers {drivers}"
    rules = load_dir(MODULES / "zenml-server").variables["database_url"]["validation"]
    schemes = set(re.findall(r"\^([a-z]+)://", " ".join(r["condition"] for r in rules)))
    server_drivers = drivers - {"sqlite"}  # SQLite in a pod is lost with the pod
    assert schemes and schemes <= server_drivers, f"database_url accepts {schemes}, not {drivers}"


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", str(TERRAFORM_ROOT)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [REPO_ROOT / line for line in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in TERRAFORM_ROOT.rglob("*") if p.is_file() and ".terraform" not in p.parts]


def test_no_state_variables_file_or_secret_is_committed() -> None:
    files = _tracked_files()
    assert files
    for file in files:
        assert not re.search(r"\.tfstate|\.tfvars$|^backend\.hcl$|\.tfplan$", file.name), (
            f"{file} must not be committed (only *.example files)"
        )
        text = file.read_text(errors="ignore")
        assert not re.search(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|\"private_key_id\"", text
        ), f"{file} holds a credential"
    for path in all_dirs():
        for doc in load_dir(path).raw:
            _assert_no_literal_secret(doc, path)


def _assert_no_literal_secret(node: object, path: Path) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if SECRET_NAME.search(str(key)) and isinstance(value, str) and "${" not in value:
                raise AssertionError(f"{path}: {key} is set to a literal: {value!r}")
            _assert_no_literal_secret(value, path)
    elif isinstance(node, list):
        for item in node:
            _assert_no_literal_secret(item, path)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in env_dirs()])
def test_remote_backends_come_with_an_example_configuration(path: Path) -> None:
    tf = load_dir(path)
    for backend in set(tf.backends) - {"local"}:
        example = path / "backend.hcl.example"
        assert example.is_file(), f"{tf.name}: backend {backend} needs backend.hcl.example"
        settings = hcl2.loads(example.read_text())
        required = {"gcs": {"bucket", "prefix"}, "s3": {"bucket", "key", "region"}}[backend]
        assert required <= set(settings), f"{example} must set {required}"


@pytest.mark.parametrize("env", [p.name for p in env_dirs()])
def test_each_environment_readme_gives_the_exact_commands(env: str) -> None:
    readme = (ENVS / env / "README.md").read_text()
    for needed in (
        f"terraform -chdir=infra/terraform/envs/{env} init",
        f"terraform -chdir=infra/terraform/envs/{env} apply",
        "zenml stack import",
        "model-factory submit bank_training --host",
    ):
        assert needed in readme, f"envs/{env}/README.md does not show `{needed}`"
    assert (TERRAFORM_ROOT / "README.md").is_file()
