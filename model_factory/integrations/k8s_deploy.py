"""Deploy the forecast service: render a kustomize overlay, server-side apply it, wait for rollout.

Server-side apply lets the API server merge the fields we send and record them as owned by our
field manager, like `kubectl apply --server-side --force-conflicts`. The typed `patch_*` methods of
kubernetes 30.1 cannot send the apply-patch content type, so every object goes through
`ApiClient.call_api`. There is no discovery: the kinds the overlays use are listed in `RESOURCES`
(a test renders every overlay against it).

The deploy needs no cluster-wide rights: what it calls in the overlay's namespace is what the Role
in infra/k8s/deployer grants. The Namespace itself, cluster-scoped, is applied only when asked
(`create_namespace`); otherwise it must exist already.
"""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import urllib3
import yaml
from kubernetes import config
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from pydantic import Field

from model_factory.config import StrictModel
from model_factory.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = PROJECT_ROOT / "infra" / "k8s" / "overlays"
SERVICE = "forecast-service"  # the Deployment and its container
FIELD_MANAGER = "model-factory"
APPLY_PATCH = "application/apply-patch+yaml"
MODEL_SETTING, STAGE_SETTING = "MODEL_FACTORY_SERVE_MODEL_NAME", "MODEL_FACTORY_SERVE_STAGE"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
Environment = Literal["dev", "prod"]

# (apiVersion, kind) -> (plural, namespaced) for every kind the overlays render, the optional
# ServiceMonitor (infra/k8s/components/servicemonitor) included.
RESOURCES = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Service"): ("services", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ("servicemonitors", True),
}


class DeployFailed(RuntimeError):
    """The cluster refused an object, could not be reached, or the rollout did not finish."""


class DeployConfig(StrictModel):
    """What the ZenML deploy pipeline takes (the CLI takes the same as options)."""

    env: Environment
    image: str | None = Field(None, description="image reference; default: the overlay's")
    timeout_seconds: float = Field(300.0, gt=0, description="how long to wait for the rollout")
    context: str | None = Field(None, description="kubeconfig context; default: the current one")
    create_namespace: bool = Field(
        False, description="also apply the overlay's Namespace (cluster-scoped: an admin's rights)"
    )


class DeployReport(StrictModel):
    env: Environment
    namespace: str
    image: str
    model: str
    stage: str
    manifests: str
    applied: list[str]
    rollout: str


def render(env: Environment, image: str | None = None) -> list[dict]:
    """The overlay's objects as `kubectl kustomize` renders them, with `image` for the service.

    prod only runs images pinned by digest: a tag can be moved to other content after review.
    """
    objects = kustomize(OVERLAYS / env)
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) not in RESOURCES:
            raise InputError(f"overlay {env}: {obj['apiVersion']} {obj['kind']} is not deployable")
    if image is not None:
        _container(objects)["image"] = image
    final = _container(objects)["image"]
    if env == "prod" and not DIGEST.search(final):
        raise InputError(
            f"prod runs images pinned by digest, got {final!r}: "
            "pass --image REGISTRY/model-factory-serve@sha256:<digest>"
        )
    return objects


def kustomize(folder: Path) -> list[dict]:
    """The objects `kubectl kustomize folder` renders."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise InputError("kubectl not found on PATH: it renders the kustomize overlays")
    # No kubeconfig: rendering never talks to a cluster (some kubectl builds, e.g. gcloud's
    # dispatcher, ask the current context's server for its version before any command).
    done = subprocess.run(
        [kubectl, "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KUBECONFIG": os.devnull},
    )
    if done.returncode != 0:
        raise InputError(f"kubectl kustomize {folder}: {done.stderr.strip()}")
    return [obj for obj in yaml.safe_load_all(done.stdout) if obj]


def write_manifests(objects: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return path


def object_path(obj: dict) -> str:
    """The object's URL path on the API server."""
    api_version, metadata = obj["apiVersion"], obj["metadata"]
    plural, namespaced = RESOURCES[(api_version, obj["kind"])]
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    namespace = f"/namespaces/{metadata['namespace']}" if namespaced else ""
    return f"{prefix}{namespace}/{plural}/{metadata['name']}"


def describe(obj: dict) -> str:
    metadata = obj["metadata"]
    where = f"{metadata['namespace']}/" if "namespace" in metadata else ""
    return f"{obj['kind']} {where}{metadata['name']}"


def apply(api: ApiClient, objects: list[dict]) -> list[dict]:
    """Server-side apply each object, in order; returns what the server answered for each."""
    return [
        _call(
            api,
            "PATCH",
            obj,
            body=obj,
            content_type=APPLY_PATCH,
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
        )
        for obj in objects
    ]


def read(api: ApiClient, obj: dict) -> dict:
    """The object as the server holds it now."""
    return _call(api, "GET", obj)


def rollout_status(deployment: dict) -> tuple[bool, str]:
    """(done, message) the way `kubectl rollout status` judges a Deployment.

    Done when the controller has seen the current spec (observedGeneration), every replica runs
    the new template, no old replica is left and all new ones are available. Raises DeployFailed
    when the controller gave up (progressDeadlineSeconds passed without progress).
    """
    spec, status = deployment.get("spec", {}), deployment.get("status", {})
    name = deployment["metadata"]["name"]
    if deployment["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return False, "waiting for the new spec to be observed"
    for condition in status.get("conditions", []):
        if condition.get("type") == "Progressing" and (
            condition.get("reason") == "ProgressDeadlineExceeded"
        ):
            raise DeployFailed(f"deployment {name} exceeded its progress deadline")
    wanted, updated = spec.get("replicas"), status.get("updatedReplicas", 0)
    if wanted is not None and updated < wanted:
        return False, f"{updated} of {wanted} new replicas updated"
    if (total := status.get("replicas", 0)) > updated:
        return False, f"{total - updated} old replicas pending termination"
    if (available := status.get("availableReplicas", 0)) < updated:
        return False, f"{available} of {updated} updated replicas available"
    return True, f"deployment {name} rolled out: {updated} replicas available"


def wait_for_rollout(
    api: ApiClient,
    deployment: dict,
    timeout_seconds: float,
    poll_seconds: float = 2.0,
    echo: Callable[[str], None] = print,
) -> str:
    """Poll the Deployment until it is rolled out; DeployFailed after `timeout_seconds`."""
    deadline, last = time.monotonic() + timeout_seconds, None
    while True:
        done, message = rollout_status(read(api, deployment))
        if message != last:
            echo(message)
            last = message
        if done:
            return message
        if time.monotonic() >= deadline:
            raise DeployFailed(
                f"rollout of {describe(deployment)} not finished after {timeout_seconds:g} s: "
                f"{message}"
            )
        time.sleep(poll_seconds)


def api_client(context: str | None = None) -> ApiClient:
    """A client for the kubeconfig's context ($KUBECONFIG or ~/.kube/config).

    $KUBECONFIG is read now: the `kubernetes` package reads it once, when it is imported.
    """
    path = os.environ.get("KUBECONFIG") or "~/.kube/config"
    try:
        return config.new_client_from_config(config_file=path, context=context)
    except (config.ConfigException, OSError) as exc:
        raise InputError(f"no usable kubeconfig: {exc}") from exc


def deploy(
    settings: DeployConfig,
    manifests: Path,
    dry_run: bool = False,
    api: ApiClient | None = None,
    poll_seconds: float = 2.0,
    echo: Callable[[str], None] = print,
) -> DeployReport:
    """Render the overlay, write what will be applied to `manifests`, then (unless `dry_run`)
    apply it and wait. The Namespace is left out unless `settings.create_namespace`."""
    objects = [
        obj
        for obj in render(settings.env, settings.image)
        if settings.create_namespace or obj["kind"] != "Namespace"
    ]
    write_manifests(objects, manifests)
    deployment = next(obj for obj in objects if obj["kind"] == "Deployment")
    config_map = next(obj for obj in objects if obj["kind"] == "ConfigMap")
    report = {
        "env": settings.env,
        "namespace": deployment["metadata"]["namespace"],
        "image": _container(objects)["image"],
        "model": config_map["data"][MODEL_SETTING],
        "stage": config_map["data"][STAGE_SETTING],
        "manifests": str(manifests),
    }
    if dry_run:
        return DeployReport(**report, applied=[], rollout="dry run: nothing applied")
    api = api or api_client(settings.context)
    applied = []
    for obj in apply(api, objects):
        applied.append(describe(obj))
        echo(f"applied {applied[-1]}")
    rollout = wait_for_rollout(api, deployment, settings.timeout_seconds, poll_seconds, echo)
    return DeployReport(**report, applied=applied, rollout=rollout)


def _container(objects: list[dict]) -> dict:
    """The service's container in the rendered Deployment."""
    deployment = next(obj for obj in objects if obj["kind"] == "Deployment")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(container for container in containers if container["name"] == SERVICE)


def _call(
    api: ApiClient,
    method: str,
    obj: dict,
    body: dict | None = None,
    content_type: str = "application/json",
    query: list[tuple[str, str]] | None = None,
) -> dict:
    try:
        return api.call_api(
            object_path(obj),
            method,
            query_params=query or [],
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body,
            response_type="object",
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _request_timeout=30,
        )
    except ApiException as exc:
        message = f"{method} {describe(obj)}: {exc.status} {exc.reason}: {_api_message(exc)}"
        if exc.status == 404 and method == "PATCH" and "namespace" in obj["metadata"]:
            # An apply creates a missing object: a 404 means its namespace is missing.
            message += (
                f" (the namespace {obj['metadata']['namespace']} must exist: an admin creates "
                "it, or deploy with --create-namespace)"
            )
        raise DeployFailed(message) from exc
    except urllib3.exceptions.HTTPError as exc:
        host = api.configuration.host
        raise DeployFailed(f"cannot reach the Kubernetes API at {host}: {exc}") from exc


def _api_message(exc: ApiException) -> str:
    """The Status message the API server sent, else the raw body."""
    try:
        return yaml.safe_load(exc.body).get("message", exc.body)
    except (yaml.YAMLError, AttributeError, TypeError):
        return str(exc.body)
