output "kubernetes_context" {
  description = "kubeconfig context of the cluster (in kubeconfig_path)."
  value       = local.kube_context
}

output "kubeconfig_path" {
  description = "kubeconfig written for this cluster: export KUBECONFIG=$(terraform output -raw kubeconfig_path)."
  value       = abspath(kind_cluster.this.kubeconfig_path)
}

output "kfp_endpoint" {
  description = "KFP UI and API on this machine, for `model-factory submit --host`."
  value       = module.kubeflow_pipelines.endpoint
}

output "kfp_namespace" {
  description = "Namespace of Kubeflow Pipelines."
  value       = module.kubeflow_pipelines.namespace
}

output "kfp_version" {
  description = "Kubeflow Pipelines backend version installed."
  value       = module.kubeflow_pipelines.version
}

output "image_registry" {
  description = "Registry to push pipeline images to (docker push 127.0.0.1:PORT/IMAGE:TAG); nodes pull the same name."
  value       = local.registry_uri
}

output "zenml_stack_yaml" {
  description = "The ZenML stack for `zenml stack import`, when zenml_stack is set; null otherwise."
  value       = var.zenml_stack == null ? null : module.zenml_stack[0].import_yaml
}

output "kfp_pipeline_root" {
  description = "Where KFP runs store artifacts by default (also `model-factory compile --pipeline-root`)."
  value       = module.kubeflow_pipelines.default_pipeline_root
}
