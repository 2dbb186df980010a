"""How CI reaches Google Cloud (modules/gcp-github-ci, wired into envs/gke) and where KFP runs
store artifacts (the kfp-launcher pipeline root each environment sets). Static: the google
provider cannot be downloaded here, so `terraform validate` of these needs a machine with
network; the module's inputs, outputs, formatting and checkov run in the other infra tests."""

from __future__ import annotations

import re

import yaml
from infra_hcl import ENVS, MODULES, REPO_ROOT, load_dir

CI = load_dir(MODULES / "gcp-github-ci")
GKE = load_dir(ENVS / "gke")
KIND = load_dir(ENVS / "local-kind")


def test_only_tokens_of_the_repository_and_its_two_job_subjects_are_accepted():
    provider = CI.resources["google_iam_workload_identity_pool_provider.github"]
    assert provider["oidc"] == [{"issuer_uri": "https://token.actions.githubusercontent.com"}]
    assert provider["attribute_mapping"]["google.subject"] == "assertion.sub"
    assert provider["attribute_condition"] == "${local.attribute_condition}"
    condition = CI.locals["attribute_condition"]
    assert "assertion.repository == '${var.github_repository}'" in condition
    assert "assertion.repository_id == '${var.github_repository_id}'" in condition
    assert "assertion.sub == '${local.train_subject}'" in condition
    assert "assertion.sub == '${local.release_subject}'" in condition
    # GitHub's subject claim: the branch for train.yml, the environment for release.yml.
    assert CI.locals["train_subject"] == (
        "repo:${var.github_repository}:ref:refs/heads/${var.train_branch}"
    )
    assert CI.locals["release_subject"] == (
        "repo:${var.github_repository}:environment:${var.release_environment}"
    )
    assert CI.variables["train_branch"]["default"] == "main"
    assert CI.variables["release_environment"]["default"] == "production"


def test_each_identity_is_bound_to_its_own_subject_and_nothing_wider():
    binding = CI.resources["google_service_account_iam_member.github"]
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    # principal://.../subject/X is one subject; principalSet would admit a whole attribute.
    assert binding["member"] == (
        "principal://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}"
        "/subject/${each.value.subject}"
    )
    identities = CI.locals["identities"]
    assert {key: value["subject"] for key, value in identities.items()} == {
        "train": "${local.train_subject}",
        "release": "${local.release_subject}",
    }


def test_grants_are_on_the_bucket_and_registry_except_one_bounded_cluster_role():
    project_wide = {k: v for k, v in CI.resources.items() if k.startswith("google_project_iam")}
    assert [body["role"] for body in project_wide.values()] == ["${var.cluster_role}"]
    [rule] = CI.variables["cluster_role"]["validation"]
    allowed = set(re.findall(r'"(roles/[^"]+)"', rule["condition"]))
    assert allowed == {"roles/container.clusterViewer", "roles/container.developer"}
    assert CI.variables["cluster_role"]["default"] == "roles/container.clusterViewer"
    roles = {
        key: body["role"]
        for key, body in CI.resources.items()
        if key.startswith(("google_storage_bucket_iam", "google_artifact_registry_repository_iam"))
    }
    assert roles == {
        # train pushes images, release only reads their digests
        "google_artifact_registry_repository_iam_member.images": '${each.key == "train" ? '
        '"roles/artifactregistry.writer" : "roles/artifactregistry.reader"}',
        "google_storage_bucket_iam_member.artifacts": "roles/storage.objectUser",
        "google_storage_bucket_iam_member.data": "roles/storage.objectViewer",
    }
    assert CI.resources["google_storage_bucket_iam_member.data"]["member"] == (
        '${google_service_account.ci["train"].member}'
    )


def test_gke_wires_ci_to_its_bucket_and_registry_and_opens_the_iam_gated_endpoint():
    call = GKE.modules["github_ci"]
    assert call["count"] == "${local.github_ci ? 1 : 0}"
    assert call["bucket_name"] == "${module.artifact_bucket.name}"
    assert call["registry"] == {
        "location": "${module.registry.location}",
        "repository_id": "${module.registry.repository_id}",
    }
    assert GKE.locals["github_ci"] == "${var.github_repository != null}"
    cluster = GKE.resources["google_container_cluster.this"]
    [endpoints] = cluster["control_plane_endpoints_config"]
    assert endpoints["dns_endpoint_config"] == [{"allow_external_traffic": "${local.github_ci}"}]
    assert cluster["master_authorized_networks_config"], "the IP endpoint stays restricted"


def test_the_workflows_use_the_identities_terraform_outputs_name():
    outputs = " ".join(GKE.outputs[name]["description"] for name in GKE.outputs)
    workflows = REPO_ROOT / ".github" / "workflows"
    used = set()
    for name in ("train.yml", "release.yml"):
        used |= set(re.findall(r"vars\.(GCP_[A-Z_]+)", (workflows / name).read_text()))
    assert {"GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_TRAIN_SERVICE_ACCOUNT"} <= used
    assert "GCP_RELEASE_SERVICE_ACCOUNT" in used
    for variable in used & {
        "GCP_WORKLOAD_IDENTITY_PROVIDER",
        "GCP_TRAIN_SERVICE_ACCOUNT",
        "GCP_RELEASE_SERVICE_ACCOUNT",
    }:
        assert variable in outputs, f"no envs/gke output says where {variable} comes from"


def test_kind_stores_artifacts_in_its_minio_as_s3_with_a_secret_reference():
    assert KIND.variables["pipeline_root"]["default"] == "s3://mlpipeline/v2/artifacts"
    call = KIND.modules["kubeflow_pipelines"]
    assert call["default_pipeline_root"] == "${var.pipeline_root}"
    assert "local.minio_providers" in call["object_store_providers"]
    heredoc = KIND.locals["minio_providers"]
    providers = yaml.safe_load(heredoc.split("\n", 1)[1].rsplit("\n", 1)[0])
    s3 = providers["s3"]
    assert s3["endpoint"] == "minio-service.kubeflow:9000" and s3["disableSSL"] is True
    assert s3["credentials"] == {
        "fromEnv": False,
        "secretRef": {
            "secretName": "mlpipeline-minio-artifact",  # KFP's own MinIO Secret
            "accessKeyKey": "accesskey",
            "secretKeyKey": "secretkey",
        },
    }
    assert "kfp_pipeline_root" in KIND.outputs


def test_gke_stores_artifacts_in_its_artifact_bucket():
    call = GKE.modules["kubeflow_pipelines"]
    assert call["default_pipeline_root"] == "${module.artifact_bucket.url}/kfp"
    assert "object_store_providers" not in call  # GCS: the pods' Workload Identity
    assert "kfp_pipeline_root" in GKE.outputs


SHIM = """#!/usr/bin/env bash
# The cluster, as far as kfp.sh can tell: records every call, keeps what is applied, answers
# the version and health checks; `create ... --dry-run=client` is rendered by the real kubectl.
printf '%s\\n' "$*" >> "$SHIM_LOG"
args=() skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$a" = --context ]; then skip=1; continue; fi
  args+=("$a")
done
case "$*" in
  *"create configmap"*|*"create secret"*)
    KUBECONFIG=/nonexistent exec "$REAL_KUBECTL" "${args[@]}" ;;
  *"apply -f -"*) cat >> "$SHIM_APPLIED"; echo "---" >> "$SHIM_APPLIED" ;;
  *"mlpipeline-minio-artifact"*accesskey*) printf '%s' "$MINIO_ACCESS_B64" ;;
  *"mlpipeline-minio-artifact"*secretkey*) printf '%s' "$MINIO_SECRET_B64" ;;
  *jsonpath*) echo "ghcr.io/kubeflow/kfp-api-server:$KFP_VERSION" ;;
esac
"""


def _install(tmp_path, **environment: str) -> tuple[list[dict], str]:
    """Run the module's `kfp.sh install` against the recording stand-in; what it applied."""
    import os
    import shutil
    import subprocess

    real = shutil.which("kubectl")
    assert real, "kubectl is needed (it renders the ConfigMap offline)"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(SHIM)
    (bin_dir / "kubectl").chmod(0o755)
    applied, log = tmp_path / "applied.yaml", tmp_path / "calls.log"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "REAL_KUBECTL": real,
        "SHIM_LOG": str(log),
        "SHIM_APPLIED": str(applied),
        "KFP_VERSION": "2.17.0",
        "KFP_CONTEXT": "kind-model-factory",
        "KFP_TIMEOUT": "60",
        # What KFP's MinIO Secret holds (base64, as the API returns it): its manifests' keys.
        "MINIO_ACCESS_B64": "bWluaW8=",
        "MINIO_SECRET_B64": "bWluaW8xMjM=",
        **environment,
    }
    script = MODULES / "kubeflow-pipelines" / "scripts" / "kfp.sh"
    done = subprocess.run([str(script), "install"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    docs = [d for d in yaml.safe_load_all(applied.read_text()) if d] if applied.exists() else []
    return docs, log.read_text()


def test_the_install_writes_the_launcher_config_kind_asks_for(tmp_path):
    import textwrap

    heredoc = KIND.locals["minio_providers"]
    providers = textwrap.dedent(heredoc.split("\n", 1)[1].rsplit("\n", 1)[0]) + "\n"  # <<-
    docs, calls = _install(
        tmp_path, KFP_PIPELINE_ROOT="s3://mlpipeline/v2/artifacts", KFP_PROVIDERS=providers
    )
    [config] = [d for d in docs if d["kind"] == "ConfigMap"]
    assert config["metadata"] == {"name": "kfp-launcher", "namespace": "kubeflow",
                                  "creationTimestamp": None}  # fmt: skip
    assert config["data"]["defaultPipelineRoot"] == "s3://mlpipeline/v2/artifacts"
    assert yaml.safe_load(config["data"]["providers"]) == yaml.safe_load(providers)
    assert "--context kind-model-factory -n kubeflow create configmap kfp-launcher" in calls


def test_the_install_leaves_the_launcher_config_alone_without_a_root(tmp_path):
    docs, calls = _install(tmp_path, KFP_PIPELINE_ROOT="", KFP_PROVIDERS="")
    assert not [d for d in docs if d["kind"] == "ConfigMap"]
    assert "configmap" not in calls


def test_kind_gives_the_pods_minios_keys_in_the_object_store_secret(tmp_path):
    """local-kind asks the install for the Secret the data-reading tasks mount
    (components/platform.py); the install fills it from KFP's MinIO Secret inside the cluster:
    the keys never appear in Terraform or on a command line."""
    import base64

    from components.platform import OBJECT_STORE_KEYS, OBJECT_STORE_SECRET

    call = KIND.modules["kubeflow_pipelines"]
    assert call["object_store_env"] == {
        "name": OBJECT_STORE_SECRET,
        "endpoint": "http://minio-service.kubeflow:9000",
    }
    assert "object_store_env" not in GKE.modules["kubeflow_pipelines"]  # GCS: Workload Identity
    docs, calls = _install(
        tmp_path,
        KFP_PIPELINE_ROOT="",
        KFP_PROVIDERS="",
        KFP_OBJECT_STORE_SECRET=OBJECT_STORE_SECRET,
        KFP_OBJECT_STORE_ENDPOINT="http://minio-service.kubeflow:9000",
    )
    [secret] = [d for d in docs if d["kind"] == "Secret"]
    assert secret["metadata"]["name"] == OBJECT_STORE_SECRET
    assert secret["metadata"]["namespace"] == "kubeflow"
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    expected = ("minio", "minio123", "http://minio-service.kubeflow:9000")
    assert values == dict(zip(OBJECT_STORE_KEYS, expected, strict=True))
    assert "minio123" not in calls  # copied in the cluster, never an argument


def test_the_install_creates_no_object_store_secret_unless_asked(tmp_path):
    docs, calls = _install(tmp_path, KFP_PIPELINE_ROOT="", KFP_PROVIDERS="")
    assert not [d for d in docs if d["kind"] == "Secret"] and "create secret" not in calls
