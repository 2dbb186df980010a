"""The KFP backend we install must run what our KFP SDK compiles.

Backend and SDK are released separately, so this checks a compatibility table
(kfp_compatibility.json, with the evidence for each bound), not version equality."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from infra_hcl import ENVS, MODULES, load_dir
from packaging.version import Version

TABLE = json.loads((Path(__file__).with_name("kfp_compatibility.json")).read_text())


def _installed_sdk() -> str:
    return importlib.metadata.version("kfp")


def _pinned_backends() -> dict[str, str]:
    return {
        "modules/kubeflow-pipelines": load_dir(MODULES / "kubeflow-pipelines").variables[
            "pipelines_version"
        ]["default"],
        "envs/local-kind": load_dir(ENVS / "local-kind").variables["kfp_version"]["default"],
        "envs/gke": load_dir(ENVS / "gke").variables["kfp_version"]["default"],
    }


def test_the_installed_sdk_has_an_entry_in_the_table() -> None:
    sdk = _installed_sdk()
    assert sdk in TABLE["sdks"], (
        f"kfp {sdk} is installed but kfp_compatibility.json has no entry for it: "
        "check which backend releases run its pipelines and add them"
    )


def test_kfp_kubernetes_matches_the_sdk_it_extends() -> None:
    assert importlib.metadata.version("kfp-kubernetes") == _installed_sdk()


def test_every_pinned_backend_supports_the_installed_sdk() -> None:
    supported = set(TABLE["sdks"][_installed_sdk()]["backends"])
    for where, version in _pinned_backends().items():
        assert version in supported, (
            f"{where} pins KFP backend {version}, not one of {sorted(supported)} "
            f"that support kfp {_installed_sdk()}"
        )


def test_the_pin_is_the_recommended_backend() -> None:
    entry = TABLE["sdks"][_installed_sdk()]
    assert entry["recommended"] in entry["backends"]
    assert set(_pinned_backends().values()) == {entry["recommended"]}


def test_the_table_is_well_formed_and_its_lower_bound_is_explained() -> None:
    for sdk, entry in TABLE["sdks"].items():
        backends = [Version(v) for v in entry["backends"]]
        assert backends == sorted(backends), f"{sdk}: list backends in release order"
        assert all(v.major == 2 for v in backends), f"{sdk}: only KFP 2.x runs v2 IR"
        assert str(min(backends)) in entry["notes"], (
            f"{sdk}: say why the lower bound is where it is"
        )
