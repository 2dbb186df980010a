"""Read the Terraform tree (infra/terraform) with python-hcl2 for the wiring tests.

Kept next to the tests, not in the package: only tests read Terraform code.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPO_ROOT / "infra" / "terraform"
MODULES = TERRAFORM_ROOT / "modules"
ENVS = TERRAFORM_ROOT / "envs"

# Arguments of a module block that are Terraform's, not the child module's inputs.
MODULE_META_ARGUMENTS = {"source", "version", "count", "for_each", "depends_on", "providers"}
BUILTIN_RESOURCE_TYPES = {"terraform_data"}

_OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


@dataclass
class TerraformDir:
    """All blocks of one module or environment directory, merged over its .tf files."""

    path: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "type.name" -> body
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    locals: dict[str, Any] = field(default_factory=dict)
    raw: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def required_providers(self) -> dict[str, dict[str, Any]]:
        providers: dict[str, dict[str, Any]] = {}
        for block in self.terraform:
            for entry in block.get("required_providers", []):
                providers.update(entry)
        return providers

    @property
    def required_version(self) -> str | None:
        versions = [b["required_version"] for b in self.terraform if "required_version" in b]
        return versions[0] if versions else None

    @property
    def backends(self) -> dict[str, dict[str, Any]]:
        backends: dict[str, dict[str, Any]] = {}
        for block in self.terraform:
            for entry in block.get("backend", []):
                backends.update(entry)
        return backends


def _merge_named(target: dict[str, Any], blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        for name, body in block.items():
            assert name not in target, f"duplicate block {name}"
            target[name] = body


@functools.cache
def load_dir(path: Path) -> TerraformDir:
    """Parse every .tf file of a directory (not its subdirectories)."""
    tf = TerraformDir(path=path)
    for file in sorted(path.glob("*.tf")):
        with file.open() as handle:
            doc = hcl2.load(handle, serialization_options=_OPTIONS)
        tf.raw.append(doc)
        _merge_named(tf.variables, doc.get("variable", []))
        _merge_named(tf.outputs, doc.get("output", []))
        _merge_named(tf.modules, doc.get("module", []))
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                for rname, body in named.items():
                    tf.resources[f"{rtype}.{rname}"] = body
        for block in doc.get("data", []):
            for dtype, named in block.items():
                for dname, body in named.items():
                    tf.data[f"{dtype}.{dname}"] = body
        tf.terraform.extend(doc.get("terraform", []))
        for block in doc.get("locals", []):
            tf.locals.update(block)
    return tf


def module_dirs() -> list[Path]:
    return sorted(p for p in MODULES.iterdir() if p.is_dir())


def env_dirs() -> list[Path]:
    return sorted(p for p in ENVS.iterdir() if p.is_dir())


def all_dirs() -> list[Path]:
    return module_dirs() + env_dirs()


def is_provider_free(tf: TerraformDir) -> bool:
    """True when the directory needs no provider download (built-ins only)."""
    types = {key.split(".")[0] for key in [*tf.resources, *tf.data]}
    return not tf.required_providers and types <= BUILTIN_RESOURCE_TYPES


def strings_in(value: Any) -> list[str]:
    """Every string inside a parsed HCL value (expressions are kept as ${...} strings)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def terraform_binary() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise AssertionError(
            "terraform is not on PATH: the infra checks need Terraform ~> 1.11 "
            "(https://developer.hashicorp.com/terraform/install)."
        )
    return binary


def terraform_env(tmp: Path) -> dict[str, str]:
    """An environment that keeps Terraform's working files out of the repository."""
    cli_config = tmp / "terraformrc"
    cli_config.write_text("")
    return {
        **os.environ,
        "TF_DATA_DIR": str(tmp / ".terraform"),
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }


def run_terraform(
    args: list[str], cwd: Path, tmp: Path, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [terraform_binary(), *args, "-no-color"],
        cwd=cwd,
        env=terraform_env(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"terraform {' '.join(args)} failed in {cwd}:\n{result.stdout}\n{result.stderr}"
    )
    return result
