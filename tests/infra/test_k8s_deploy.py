"""`model-factory deploy forecast-service` against a fake API server over real HTTP (kmock).

The deploy code is the real one, with the `kubernetes` client; only the cluster is emulated
(tests/helpers/kube_emulator.py): objects are stored and read back, and the Deployment controller is
played by PATCHing `status`, so both a finished and an unfinished rollout can be shown.
"""

import re
from pathlib import Path

import pytest
import yaml
from kmock import KubernetesError
from kube_emulator import (
    APPLY_PATCH,
    CONTROLLER,
    Controller,
    FakeCluster,
    fake_cluster,
    without_server_fields,
)

from model_factory.integrations import k8s_deploy
from model_factory.integrations.k8s_deploy import DeployConfig, DeployFailed
from support import PROJECT_ROOT

OTHER_IMAGE = "127.0.0.1:5001/model-factory-serve:other"
# /api/v1/namespaces/NS/RESOURCE/NAME (core group) or /apis/GROUP/VERSION/namespaces/NS/...
NAMESPACED_OBJECT = re.compile(
    r"/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)/namespaces/[^/]+/(?P<resource>[^/]+)/[^/]+"
)


@pytest.fixture
def cluster() -> FakeCluster:
    with fake_cluster() as running:
        yield running


def _deployment_path(objects: list[dict]) -> str:
    return k8s_deploy.object_path(next(obj for obj in objects if obj["kind"] == "Deployment"))


def _deploy(cluster: FakeCluster, tmp_path: Path, timeout: float = 20.0, image=None, echo=None,
            create_namespace: bool = False):  # fmt: skip
    settings = DeployConfig(
        env="dev", image=image, timeout_seconds=timeout, create_namespace=create_namespace
    )
    return k8s_deploy.deploy(
        settings, tmp_path / "dev.yaml", api=cluster.client(), poll_seconds=0.05,
        echo=echo or (lambda message: None),
    )  # fmt: skip


def _namespaced(objects: list[dict]) -> list[dict]:
    return [obj for obj in objects if obj["kind"] != "Namespace"]


def test_every_object_is_server_side_applied_and_reads_back_as_rendered(cluster, tmp_path):
    rendered = k8s_deploy.render("dev")
    messages = []
    with Controller(cluster, _deployment_path(rendered)):
        report = _deploy(cluster, tmp_path, echo=messages.append, create_namespace=True)

    assert report.applied == [k8s_deploy.describe(obj) for obj in rendered]
    assert report.rollout.startswith("deployment forecast-service rolled out")
    assert messages[-1] == report.rollout
    assert any("pending termination" in message for message in messages), messages
    assert (report.stage, report.namespace) == ("staging", "model-factory-dev")
    api = cluster.client()
    for obj in rendered:
        assert without_server_fields(k8s_deploy.read(api, obj)) == obj

    applies = [request for request in cluster.requests() if request.method == "PATCH"]
    applies = [request for request in applies if not request.url.path.endswith("/status")]
    assert [request.url.path for request in applies] == [
        k8s_deploy.object_path(obj) for obj in rendered
    ]
    for request, obj in zip(applies, rendered, strict=True):
        assert request.headers["Content-Type"] == APPLY_PATCH
        assert request.params == {"fieldManager": "model-factory", "force": "true"}
        assert request.data == obj
    assert list(yaml.safe_load_all(Path(report.manifests).read_text())) == rendered


def _calls(requests) -> set[tuple[str, str, str]]:
    """(API group, resource, RBAC verb) of each request: a server-side apply is authorised as
    `patch`, and also as `create` when the object does not exist yet."""
    calls = set()
    for request in requests:
        found = NAMESPACED_OBJECT.fullmatch(request.url.path)
        assert found, f"not a namespaced object: {request.method} {request.url.path}"
        verbs = {"GET": {"get"}, "PATCH": {"patch", "create"}}[request.method]
        calls |= {(found["group"] or "", found["resource"], verb) for verb in verbs}
    return calls


def _granted(role: dict) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_the_deploy_needs_exactly_the_role_of_its_namespace_and_nothing_cluster_wide(
    cluster, tmp_path
):
    """An admin created the namespace; the deploy (without --create-namespace) then makes only
    namespaced calls, and they are exactly what infra/k8s/deployer's Role grants there."""
    rendered = k8s_deploy.render("dev")
    (namespace,) = [obj for obj in rendered if obj["kind"] == "Namespace"]
    k8s_deploy.apply(cluster.client(), [namespace])  # the admin's part
    before = len(cluster.requests())
    with Controller(cluster, _deployment_path(rendered)):
        report = _deploy(cluster, tmp_path)

    assert report.applied == [k8s_deploy.describe(obj) for obj in _namespaced(rendered)]
    assert list(yaml.safe_load_all(Path(report.manifests).read_text())) == _namespaced(rendered)
    deploys = [r for r in cluster.requests()[before:] if r.headers.get("User-Agent") != CONTROLLER]
    deployer = k8s_deploy.kustomize(PROJECT_ROOT / "infra/k8s/deployer/overlays/dev")
    (role,) = [obj for obj in deployer if obj["kind"] == "Role"]
    assert role["metadata"]["namespace"] == namespace["metadata"]["name"]
    # The Role also grants the ServiceMonitor of the optional component, which dev does not enable.
    optional = {("monitoring.coreos.com", "servicemonitors", verb) for verb in ("create", "patch")}
    assert _calls(deploys) == _granted(role) - optional


def test_a_missing_namespace_is_named_with_what_to_do(cluster, tmp_path):
    """A real API server answers an apply into a missing namespace with 404."""
    cluster.emulator["patch", re.compile(".*/serviceaccounts/.*")] << KubernetesError(
        status=404, reason="NotFound", message='namespaces "model-factory-dev" not found'
    )
    with pytest.raises(DeployFailed) as caught:
        _deploy(cluster, tmp_path, timeout=1)
    assert str(caught.value) == (
        "PATCH ServiceAccount model-factory-dev/forecast-service: 404 Not Found: namespaces "
        '"model-factory-dev" not found (the namespace model-factory-dev must exist: an admin '
        "creates it, or deploy with --create-namespace)"
    )


def test_a_rollout_that_never_finishes_times_out(cluster, tmp_path):
    with pytest.raises(DeployFailed, match=r"not finished after 0\.5 s: .*observed"):
        _deploy(cluster, tmp_path, timeout=0.5)
    # Everything was applied before the wait; only the controller never answered.
    for obj in _namespaced(k8s_deploy.render("dev")):
        assert k8s_deploy.read(cluster.client(), obj)["metadata"]["name"]


def test_a_new_image_waits_for_its_own_generation_not_the_old_status(cluster, tmp_path):
    rendered = k8s_deploy.render("dev")
    with Controller(cluster, _deployment_path(rendered)):
        _deploy(cluster, tmp_path)
    # The previous rollout's status is complete, but for generation 1: no success from it.
    with pytest.raises(DeployFailed, match="waiting for the new spec to be observed"):
        _deploy(cluster, tmp_path, timeout=0.5, image=OTHER_IMAGE)
    deployment = k8s_deploy.read(
        cluster.client(), next(o for o in rendered if o["kind"] == "Deployment")
    )
    assert deployment["metadata"]["generation"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == OTHER_IMAGE

    with Controller(cluster, _deployment_path(rendered), generation=2):
        report = _deploy(cluster, tmp_path, image=OTHER_IMAGE)
    assert report.rollout.startswith("deployment forecast-service rolled out")


def test_a_rollout_past_its_progress_deadline_fails_at_once(cluster):
    objects = k8s_deploy.render("dev")
    api = cluster.client()
    k8s_deploy.apply(api, objects)
    path = _deployment_path(objects)
    stuck = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
    ]}  # fmt: skip
    api.call_api(
        f"{path}/status",
        "PATCH",
        body={"status": stuck},
        header_params={"Content-Type": "application/merge-patch+json"},
    )
    deployment = next(obj for obj in objects if obj["kind"] == "Deployment")
    with pytest.raises(DeployFailed, match="exceeded its progress deadline"):
        k8s_deploy.wait_for_rollout(api, deployment, timeout_seconds=60, poll_seconds=0.05)


def test_an_object_the_server_refuses_stops_the_deploy_with_one_line_naming_it(cluster, tmp_path):
    cluster.emulator["patch", re.compile(".*/deployments/.*")] << KubernetesError(
        status=422, reason="Invalid", message="Deployment.apps is invalid: spec.template: bad"
    )
    with pytest.raises(DeployFailed) as caught:
        _deploy(cluster, tmp_path, timeout=1)
    assert str(caught.value) == (
        "PATCH Deployment model-factory-dev/forecast-service: 422 Unprocessable Entity: "
        "Deployment.apps is invalid: spec.template: bad"
    )


def test_an_unreachable_server_is_a_one_line_error(tmp_path):
    with fake_cluster() as gone:
        api = gone.client()
    with pytest.raises(
        DeployFailed, match=f"cannot reach the Kubernetes API at {api.configuration.host}"
    ):
        k8s_deploy.apply(api, k8s_deploy.render("dev"))


def test_cli_deploys_to_the_kubeconfig_context(cluster, tmp_path, cli, cli_in_process, monkeypatch):
    """The deploy in a new interpreter, as a user types it; the failing one in this process."""
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    out = tmp_path / "applied.yaml"
    rendered = k8s_deploy.render("dev")
    with Controller(cluster, _deployment_path(rendered)):
        done = cli("deploy", "forecast-service", "--env", "dev", "--out", str(out),
                   "--timeout", "60", "--create-namespace")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "rolled out" in done.stdout and "staging" in done.stdout
    assert out.is_file()
    for obj in rendered:
        assert without_server_fields(k8s_deploy.read(cluster.client(), obj)) == obj

    done = cli_in_process("deploy", "forecast-service", "--env", "dev", "--image", OTHER_IMAGE,
                          "--out", str(out), "--timeout", "1")  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: rollout of Deployment model-factory-dev/forecast-service")


def test_cli_dry_run_writes_the_manifests_and_sends_nothing(
    cluster, tmp_path, cli_in_process, monkeypatch
):
    """In this process (the test above runs deploy in a new interpreter)."""
    cli = cli_in_process
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    out = tmp_path / "dry.yaml"
    done = cli("deploy", "forecast-service", "--env", "dev", "--dry-run", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "nothing applied" in done.stdout
    assert list(yaml.safe_load_all(out.read_text())) == _namespaced(k8s_deploy.render("dev"))
    assert cluster.requests() == []

    refused = cli("deploy", "forecast-service", "--env", "prod", "--dry-run", "--out", str(out))
    assert refused.returncode == 2
    assert "digest" in refused.stderr


@pytest.mark.slow
def test_the_zenml_deploy_pipeline_with_the_shipped_config_deploys(cluster, tmp_path, monkeypatch):
    """The deploy pipeline on the local orchestrator, as a release job would run it."""
    from model_factory.config import load_run_config
    from model_factory.integrations.zenml_runs import run_with_config, step_output
    from pipelines import forecasting_deploy

    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    run_config = load_run_config(
        PROJECT_ROOT / "zenml_config" / "forecasting_deploy.yaml", DeployConfig
    )
    rendered = k8s_deploy.render(run_config.parameters.config.env)
    with Controller(cluster, _deployment_path(rendered)):
        run = run_with_config(forecasting_deploy.DEPLOY, run_config, run_config.parameters.config)
    for obj in _namespaced(rendered):
        assert without_server_fields(k8s_deploy.read(cluster.client(), obj)) == obj
    report = step_output(run, "deploy", "deployment")
    assert report["applied"] == [k8s_deploy.describe(obj) for obj in _namespaced(rendered)]
    assert report["rollout"].startswith("deployment forecast-service rolled out")
