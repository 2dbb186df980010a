"""The forecast service's kustomize overlays, rendered offline as `model-factory deploy` renders
them, and the deploy identity of each overlay's namespace (infra/k8s/deployer): strict Kubernetes
schemas for 1.29 to 1.33, checkov, and the properties the service and its deploy rely on.

The optional ServiceMonitor (infra/k8s/components/servicemonitor) is a Prometheus Operator custom
resource, which kubernetes-validate has no schema for: its fields are checked structurally, against
the Service and the pod it must scrape."""

import json
import os
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest

from model_factory.errors import InputError
from model_factory.integrations import k8s_deploy
from support import PROJECT_ROOT

CHECKOV = PROJECT_ROOT / ".tools" / "checkov" / "bin" / "checkov"
ENVS = ("dev", "prod")
KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")
# prod only renders with an image pinned by digest (what CI passes to the deploy).
PROD_IMAGE = "registry.example.com/model-factory-serve@sha256:" + "ab" * 32
DEPLOYER = PROJECT_ROOT / "infra" / "k8s" / "deployer" / "overlays"
SERVICEMONITOR = PROJECT_ROOT / "infra" / "k8s" / "components" / "servicemonitor"
OPTIONAL_KINDS = {"ServiceMonitor"}  # in RESOURCES, rendered only where the component is enabled
# Who may open a connection to the service, per overlay: its callers, and Prometheus.
CALLERS = {"dev": {"model-factory-dev"}, "prod": {"forecast-clients"}}
MONITORING = {"monitoring"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {
        "dev": k8s_deploy.render("dev"),
        "prod": k8s_deploy.render("prod", PROD_IMAGE),
    }


@pytest.fixture(scope="module")
def deployer() -> dict[str, list[dict]]:
    return {env: k8s_deploy.kustomize(DEPLOYER / env) for env in ENVS}


def _one(objects: list[dict], kind: str) -> dict:
    found = [obj for obj in objects if obj["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("env", ENVS)
def test_every_object_validates_strictly(rendered, deployer, env: str, version: str) -> None:
    for obj in rendered[env] + deployer[env]:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{env} {k8s_deploy.describe(obj)} on {version}: {exc.message}")


def test_strict_validation_refuses_an_unknown_field(rendered) -> None:
    """The check above can fail: a misspelt probe is an error, not an ignored key."""
    deployment = json.loads(json.dumps(_one(rendered["dev"], "Deployment")))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["livenessprobe"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="livenessprobe"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


@pytest.mark.parametrize("env", ENVS)
def test_the_overlay_has_every_object_of_the_service(rendered, env: str) -> None:
    kinds = sorted(obj["kind"] for obj in rendered[env])
    assert kinds == sorted(kind for _, kind in k8s_deploy.RESOURCES if kind not in OPTIONAL_KINDS)
    namespace = _one(rendered[env], "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    name = namespace["metadata"]["name"]
    assert all(
        obj["metadata"].get("namespace") == name for obj in rendered[env] if obj is not namespace
    )


@pytest.mark.parametrize("env", ENVS)
def test_the_pod_is_hardened_probed_and_bounded(rendered, env: str) -> None:
    deployment = _one(rendered[env], "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert set(ports) == {"http", "metrics"}
    command = container["command"]
    assert command[:2] == ["model-factory", "serve"]
    assert command[command.index("--port") + 1] == str(ports["http"])
    assert command[command.index("--metrics-port") + 1] == str(ports["metrics"])
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "http"
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound])


@pytest.mark.parametrize("env", ENVS)
def test_the_manifests_name_a_stage_and_hold_no_secret_value(rendered, env: str) -> None:
    settings = _one(rendered[env], "ConfigMap")["data"]
    assert settings[k8s_deploy.STAGE_SETTING] == {"dev": "staging", "prod": "production"}[env]
    assert not any("VERSION" in key for key in settings)
    assert "Secret" not in {obj["kind"] for obj in rendered[env]}
    container = _one(rendered[env], "Deployment")["spec"]["template"]["spec"]["containers"][0]
    from_secrets = {
        var["name"] for var in container["env"] if "secretKeyRef" in var.get("valueFrom", {})
    }
    assert from_secrets == {"MODEL_FACTORY_API_KEY", "ZENML_STORE_URL", "ZENML_STORE_API_KEY"}
    assert all("value" not in var for var in container["env"] if var["name"] in from_secrets)
    assert container["envFrom"] == [
        {"configMapRef": {"name": _one(rendered[env], "ConfigMap")["metadata"]["name"]}}
    ]


@pytest.mark.parametrize("env", ENVS)
def test_only_the_overlays_callers_and_prometheus_may_connect(rendered, env: str) -> None:
    """Every ingress rule names its source namespaces (a rule without `from` admits any source)
    by the name the API server labels them with, and one port: the callers reach the HTTP port
    only, the monitoring namespace the metrics port (served without the key) only."""
    policy = _one(rendered[env], "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert (
        policy["spec"]["podSelector"]["matchLabels"]
        == _one(rendered[env], "Service")["spec"]["selector"]
    )
    admitted: dict[str, set[str]] = {}
    for rule in policy["spec"]["ingress"]:
        (port,) = rule["ports"]
        assert port["protocol"] == "TCP"
        assert rule.get("from"), f"a rule admitting any source: {rule}"
        for source in rule["from"]:
            assert set(source) == {"namespaceSelector"}, source
            (expression,) = source["namespaceSelector"]["matchExpressions"]
            assert set(source["namespaceSelector"]) == {"matchExpressions"}
            assert (expression["key"], expression["operator"]) == (
                "kubernetes.io/metadata.name",
                "In",
            )
            admitted.setdefault(port["port"], set()).update(expression["values"])
    assert admitted == {"http": CALLERS[env], "metrics": MONITORING}


@pytest.mark.parametrize("env", ENVS)
def test_prometheus_finds_the_metrics_port_by_annotation(rendered, env: str) -> None:
    deployment = _one(rendered[env], "Deployment")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    metrics = next(port for port in container["ports"] if port["name"] == "metrics")
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(metrics["containerPort"])
    assert annotations["prometheus.io/path"] == "/metrics"
    service_ports = {port["name"]: port for port in _one(rendered[env], "Service")["spec"]["ports"]}
    assert service_ports["metrics"]["targetPort"] == "metrics"
    assert not any(
        key.startswith("prometheus.io/")
        for key in _one(rendered[env], "Service")["metadata"].get("annotations", {})
    ), "annotated twice, each pod would be scraped twice"


# Fields of a ServiceMonitor (monitoring.coreos.com/v1, the Prometheus Operator's CRD) that the
# component may use, by path: a subset of the CRD's, whose `spec` requires `selector` and
# `endpoints`. A field the CRD does not have would be pruned by the API server without a word.
SERVICEMONITOR_FIELDS = {
    (): {"apiVersion", "kind", "metadata", "spec"},
    ("spec",): {"selector", "endpoints", "namespaceSelector", "jobLabel"},
    ("spec", "selector"): {"matchLabels", "matchExpressions"},
    ("spec", "endpoints", "[]"): {"port", "path", "interval", "scrapeTimeout", "scheme"},
}


def _unknown_fields(obj: dict, path: tuple[str, ...] = ()) -> list[str]:
    """Paths of the fields of a ServiceMonitor outside SERVICEMONITOR_FIELDS."""
    unknown = []
    for key, value in obj.items():
        if key not in SERVICEMONITOR_FIELDS[path]:
            unknown.append(".".join((*path, key)))
        elif (*path, key) in SERVICEMONITOR_FIELDS:
            unknown += _unknown_fields(value, (*path, key))
        elif (*path, key, "[]") in SERVICEMONITOR_FIELDS:
            for item in value:
                unknown += _unknown_fields(item, (*path, key, "[]"))
    return sorted(unknown)


@pytest.fixture(scope="module")
def with_servicemonitor(tmp_path_factory) -> list[dict]:
    """prod with the component enabled, as an overlay of one's own would (kustomize wants relative
    paths)."""
    folder = tmp_path_factory.mktemp("overlay")
    relative = Path(os.path.relpath(PROJECT_ROOT, folder))
    (folder / "kustomization.yaml").write_text(
        json.dumps(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "model-factory",
                "resources": [str(relative / "infra/k8s/overlays/prod")],
                "components": [str(relative / SERVICEMONITOR.relative_to(PROJECT_ROOT))],
            }
        )
    )
    return k8s_deploy.kustomize(folder)


def test_the_servicemonitor_scrapes_the_metrics_port_of_the_service(with_servicemonitor) -> None:
    monitor = _one(with_servicemonitor, "ServiceMonitor")
    service = _one(with_servicemonitor, "Service")
    assert (monitor["apiVersion"], monitor["kind"]) in k8s_deploy.RESOURCES, "deployable"
    assert _unknown_fields(monitor) == []
    assert {"selector", "endpoints"} <= monitor["spec"].keys()
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    others = [obj for obj in with_servicemonitor if obj is not monitor]
    assert sorted(obj["kind"] for obj in others) == sorted(
        obj["kind"] for obj in k8s_deploy.render("prod", PROD_IMAGE)
    )


def test_the_servicemonitor_check_refuses_a_misspelt_field(with_servicemonitor) -> None:
    """The structural check can fail: a field the CRD does not have would be dropped silently."""
    monitor = json.loads(json.dumps(_one(with_servicemonitor, "ServiceMonitor")))
    monitor["spec"]["endpoints"][0]["scrapeInterval"] = "30s"
    assert _unknown_fields(monitor) == ["spec.endpoints.[].scrapeInterval"]


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_identity_is_bound_in_its_namespace_only(rendered, deployer, env: str) -> None:
    namespace = _one(rendered[env], "Namespace")["metadata"]["name"]
    kinds = sorted(obj["kind"] for obj in deployer[env])
    assert kinds == ["Role", "RoleBinding", "ServiceAccount"]
    assert all(obj["metadata"]["namespace"] == namespace for obj in deployer[env])
    account, role = _one(deployer[env], "ServiceAccount"), _one(deployer[env], "Role")
    binding = _one(deployer[env], "RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": namespace}
    ]
    assert account["automountServiceAccountToken"] is False
    granted = {(group, resource) for rule in role["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"]}  # fmt: skip
    deployed = {
        (api.rpartition("/")[0], plural)  # the group: "" for v1, "apps" for apps/v1
        for (api, _), (plural, namespaced) in k8s_deploy.RESOURCES.items()
        if namespaced
    }
    assert granted == deployed, "the Role grants what the overlay deploys, Namespace aside"
    assert not any(
        {"*", "delete", "list", "watch", "escalate", "bind"} & set(rule["verbs"])
        for rule in role["rules"]
    )


def test_prod_refuses_an_image_that_is_not_pinned_by_digest() -> None:
    with pytest.raises(InputError, match="digest"):
        k8s_deploy.render("prod")
    with pytest.raises(InputError, match="digest"):
        k8s_deploy.render("prod", "registry.example.com/model-factory-serve:0.1.0")


def test_image_replaces_the_overlay_image_of_the_service_only(rendered) -> None:
    objects = k8s_deploy.render("dev", "registry.example.com/other:1")
    deployment, original = _one(objects, "Deployment"), _one(rendered["dev"], "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/other:1"
    container["image"] = original["spec"]["template"]["spec"]["containers"][0]["image"]
    assert objects == rendered["dev"]


def test_checkov_passes_and_every_skip_is_justified(rendered, deployer, tmp_path: Path) -> None:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make checkov` (installs checkov==3.3.30 there)")
    for env, objects in rendered.items():
        k8s_deploy.write_manifests(objects + deployer[env], tmp_path / f"{env}.yaml")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(tmp_path), "--framework", "kubernetes", "--skip-download",
         "--compact", "-o", "json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    results = report["results"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in results["failed_checks"]]
    assert not failed and result.returncode == 0, f"checkov failures: {failed}\n{result.stderr}"
    assert report["summary"]["passed"] > 100, "checkov checked (almost) nothing"
    for skipped in results["skipped_checks"]:
        reason = skipped.get("check_result", {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 40, f"{skipped['check_id']} is skipped without a reason"
