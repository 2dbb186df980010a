"""The Terraform checks `make check-terraform` runs, inside the test suite: formatting,
`terraform test` of every module that needs no provider download, and checkov."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from infra_hcl import (
    REPO_ROOT,
    TERRAFORM_ROOT,
    is_provider_free,
    load_dir,
    module_dirs,
    run_terraform,
    terraform_binary,
)

CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"
PROVIDER_FREE = [p for p in module_dirs() if is_provider_free(load_dir(p))]


def test_terraform_files_are_formatted() -> None:
    result = subprocess.run(
        [
            terraform_binary(),
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            "-no-color",
            str(TERRAFORM_ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive infra/terraform`:\n{result.stdout}{result.stderr}"
    )


def test_the_stack_rendering_and_the_kfp_install_are_among_the_offline_modules() -> None:
    assert {"zenml-stack-render", "kubeflow-pipelines"} <= {p.name for p in PROVIDER_FREE}


@pytest.mark.parametrize("module", [pytest.param(p, id=p.name) for p in PROVIDER_FREE])
def test_provider_free_module_passes_its_terraform_tests(module: Path, tmp_path: Path) -> None:
    tests = sorted((module / "tests").glob("*.tftest.hcl"))
    assert tests, f"{module.name} needs no provider, so it must have tests/*.tftest.hcl"
    run_terraform(["init", "-backend=false", "-input=false"], module, tmp_path)
    out = run_terraform(["test"], module, tmp_path).stdout
    assert "0 failed" in out and " passed" in out, out


def test_checkov_passes_and_every_skip_is_justified() -> None:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make checkov` (installs checkov==3.3.30 there)")
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(TERRAFORM_ROOT),
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    results = report["results"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in results["failed_checks"]]
    assert not failed and result.returncode == 0, f"checkov failures: {failed}\n{result.stderr}"
    assert report["summary"]["passed"] > 0, "checkov checked nothing"
    for skipped in results["skipped_checks"]:
        reason = skipped.get("check_result", {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 20, f"{skipped['check_id']} is skipped without a reason"
