output "kubernetes_context" {
  description = "kubeconfig context of the cluster, as get_credentials_command names it (the ZenML orchestrator's kubernetes_context)."
  value       = local.kube_context
}

output "get_credentials_command" {
  description = "Gives your kubectl (and ZenML) the cluster's context."
  value       = "gcloud container clusters get-credentials ${var.name} --zone ${var.zone} --project ${var.project_id}"
}

output "kfp_endpoint" {
  description = "KFP UI and API for `model-factory submit --host`, answering while kfp_port_forward_command runs (standalone KFP has no authentication, so it is not exposed)."
  value       = module.kubeflow_pipelines.endpoint
}

output "kfp_port_forward_command" {
  description = "Makes kfp_endpoint answer on your machine."
  value       = module.kubeflow_pipelines.port_forward_command
}

output "kfp_pipeline_root" {
  description = "Where KFP runs store artifacts by default: gs://<artifact bucket>/kfp (also `model-factory compile --pipeline-root`)."
  value       = module.kubeflow_pipelines.default_pipeline_root
}

output "kfp_namespace" {
  description = "Namespace of Kubeflow Pipelines."
  value       = module.kubeflow_pipelines.namespace
}

output "kfp_version" {
  description = "Kubeflow Pipelines backend version installed."
  value       = module.kubeflow_pipelines.version
}

output "artifact_bucket" {
  description = "gs:// URL of the artifact bucket."
  value       = module.artifact_bucket.url
}

output "image_registry" {
  description = "Artifact Registry address pipeline images are pushed to."
  value       = module.registry.uri
}

output "pipeline_runner_service_account" {
  description = "Google service account pipeline pods act as (through kubeflow/pipeline-runner)."
  value       = module.pipeline_runner_identity.email
}

output "zenml_server_url" {
  description = "ZenML server URL for `zenml login`."
  value       = module.zenml_server.url
}

output "zenml_server_ip" {
  description = "Static IP of the ZenML ingress: point zenml_hostname's A record at it. null with an existing server."
  value       = local.deploy_zenml ? google_compute_global_address.zenml[0].address : null
}

output "zenml_admin_password" {
  description = "Initial admin password of the deployed ZenML server (terraform output -raw zenml_admin_password); change it after the first login."
  value       = module.zenml_server.admin_password
  sensitive   = true
}

output "zenml_stack_name" {
  description = "Name of the ZenML stack."
  value       = module.stack_render.stack_name
}

output "zenml_stack_yaml" {
  description = "The stack for `zenml stack import` (terraform output -raw zenml_stack_yaml > stack.yaml)."
  value       = module.stack_render.import_yaml
}

output "zenml_stack_id" {
  description = "ID of the stack registered by the provider; null unless register_stack."
  value       = var.register_stack ? module.stack_registration[0].stack_id : null
}

output "ci_workload_identity_provider" {
  description = "GCP_WORKLOAD_IDENTITY_PROVIDER repository variable (google-github-actions/auth); null without github_repository."
  value       = local.github_ci ? module.github_ci[0].workload_identity_provider : null
}

output "ci_train_service_account" {
  description = "GCP_TRAIN_SERVICE_ACCOUNT repository variable: the identity of train.yml on main; null without github_repository."
  value       = local.github_ci ? module.github_ci[0].train_service_account : null
}

output "ci_release_service_account" {
  description = "GCP_RELEASE_SERVICE_ACCOUNT variable of the production environment: the identity of release.yml; null without github_repository."
  value       = local.github_ci ? module.github_ci[0].release_service_account : null
}
