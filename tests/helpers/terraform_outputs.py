"""`terraform output -json` of the environments, with plausible values, for stack tests.

The names are exactly those envs/<env>/outputs.tf declare (checked when the file is written).
"""

import json
from pathlib import Path
from typing import Any

from infra_hcl import ENVS, load_dir

PROJECT = "my-project"
CONTEXT = f"gke_{PROJECT}_europe-west1-b_model-factory"
# Plausible values of every output of envs/gke (the zenml_stack_yaml value is beside the point).
GKE_VALUES: dict[str, Any] = {
    "kubernetes_context": CONTEXT,
    "get_credentials_command": "gcloud container clusters get-credentials model-factory ...",
    "kfp_endpoint": "http://localhost:8080",
    "kfp_port_forward_command": f"kubectl --context {CONTEXT} -n kubeflow port-forward ...",
    "kfp_namespace": "kubeflow",
    "kfp_version": "2.17.0",
    "artifact_bucket": f"gs://{PROJECT}-model-factory-artifacts",
    "image_registry": f"europe-west1-docker.pkg.dev/{PROJECT}/model-factory",
    "pipeline_runner_service_account": f"model-factory-runner@{PROJECT}.iam.gserviceaccount.com",
    "zenml_server_url": "https://zenml.example.com",
    "zenml_server_ip": "203.0.113.7",
    "zenml_admin_password": "hunter2",
    "zenml_stack_name": "model-factory-gke",
    "zenml_stack_yaml": "(rendered by zenml-stack-render)",
    "zenml_stack_id": None,
    "kfp_pipeline_root": f"gs://{PROJECT}-model-factory-artifacts/kfp",
    "ci_workload_identity_provider": "projects/123456789/locations/global/"
    "workloadIdentityPools/github/providers/github",
    "ci_train_service_account": f"model-factory-ci-train@{PROJECT}.iam.gserviceaccount.com",
    "ci_release_service_account": f"model-factory-ci-release@{PROJECT}.iam.gserviceaccount.com",
}
KIND_VALUES: dict[str, Any] = {
    "kubernetes_context": "kind-model-factory",
    "kubeconfig_path": "/repo/infra/terraform/envs/local-kind/.kube/config",
    "kfp_endpoint": "http://localhost:8080",
    "kfp_namespace": "kubeflow",
    "kfp_version": "2.17.0",
    "image_registry": "127.0.0.1:5001",
    "zenml_stack_yaml": None,
    "kfp_pipeline_root": "s3://mlpipeline/v2/artifacts",
}
KIND_SETS = {  # what a kind cluster's outputs lack (docs/kubeflow.md)
    "artifact_bucket": "gs://my-bucket",
    "zenml_server_url": "https://zenml.example.com",
    "zenml_stack_name": "model-factory-kind",
}


def outputs_json(tmp_path: Path, env: str, values: dict[str, Any]) -> Path:
    """A `terraform output -json` file of `env`, with that environment's output names."""
    declared = load_dir(ENVS / env).outputs
    assert set(values) == set(declared), "keep the values in step with outputs.tf"
    path = tmp_path / f"{env}.json"
    path.write_text(json.dumps({
        name: {"sensitive": declared[name].get("sensitive", False), "type": "string", "value": v}
        for name, v in values.items()
    }))  # fmt: skip
    return path
