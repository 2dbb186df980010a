output "namespace" {
  description = "Namespace Kubeflow Pipelines runs in (the ZenML orchestrator's kubeflow_namespace)."
  value       = local.namespace
  depends_on  = [terraform_data.pipelines]
}

output "version" {
  description = "Kubeflow Pipelines backend version installed."
  value       = var.pipelines_version
  depends_on  = [terraform_data.pipelines]
}

output "endpoint" {
  description = "URL of the KFP UI/API for clients (`model-factory submit --host`, kfp.Client(host=...)); known only once the API has answered."
  value       = coalesce(var.public_endpoint, "http://localhost:${var.local_port}")
  depends_on  = [terraform_data.pipelines]
}

output "in_cluster_endpoint" {
  description = "KFP API address from inside the cluster."
  value       = "http://ml-pipeline.${local.namespace}.svc.cluster.local:8888"
  depends_on  = [terraform_data.pipelines]
}

output "port_forward_command" {
  description = "Command that makes `endpoint` answer on the operator's machine when KFP is private; null when a NodePort or public endpoint serves it."
  value       = var.ui_node_port != null || var.public_endpoint != null ? null : "kubectl --context ${var.kube_context} -n ${local.namespace} port-forward svc/ml-pipeline-ui ${var.local_port}:80"
}

output "kube_context" {
  description = "kubeconfig context KFP was installed into (the ZenML orchestrator's kubernetes_context)."
  value       = var.kube_context
  depends_on  = [terraform_data.pipelines]
}

output "default_pipeline_root" {
  description = "Where runs store artifacts by default (the kfp-launcher ConfigMap's defaultPipelineRoot); KFP's own minio:// default when none was set."
  value       = coalesce(var.default_pipeline_root, "minio://mlpipeline/v2/artifacts")
  depends_on  = [terraform_data.pipelines]
}
