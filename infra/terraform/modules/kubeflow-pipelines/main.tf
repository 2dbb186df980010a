locals {
  namespace = "kubeflow" # fixed by the upstream platform-agnostic manifests
  script    = "${path.module}/scripts/kfp.sh"

  environment = merge(
    {
      KFP_VERSION               = var.pipelines_version
      KFP_CONTEXT               = var.kube_context
      KFP_TIMEOUT               = tostring(var.ready_timeout_seconds)
      KFP_NODE_PORT             = var.ui_node_port == null ? "" : tostring(var.ui_node_port)
      KFP_RUNNER_ANNOTATIONS    = join(" ", [for k in sort(keys(var.pipeline_runner_annotations)) : "${k}=${var.pipeline_runner_annotations[k]}"])
      KFP_PIPELINE_ROOT         = var.default_pipeline_root == null ? "" : var.default_pipeline_root
      KFP_PROVIDERS             = var.object_store_providers == null ? "" : var.object_store_providers
      KFP_OBJECT_STORE_SECRET   = var.object_store_env == null ? "" : var.object_store_env.name
      KFP_OBJECT_STORE_ENDPOINT = var.object_store_env == null ? "" : var.object_store_env.endpoint
    },
    var.kubeconfig_path == null ? {} : { KUBECONFIG = var.kubeconfig_path },
  )
}

# Step 1: CRDs, namespace and cluster roles, then wait until the Application CRD is established.
resource "terraform_data" "cluster_scoped" {
  triggers_replace = [var.pipelines_version, var.kube_context]
  input            = local.environment

  provisioner "local-exec" {
    command     = "${local.script} cluster-scoped"
    environment = self.input
  }

  provisioner "local-exec" {
    when        = destroy
    command     = "${path.module}/scripts/kfp.sh uninstall-cluster-scoped"
    environment = self.input
  }
}

# Step 2: the platform-agnostic environment; the apply only finishes once the API answers.
resource "terraform_data" "pipelines" {
  triggers_replace = [terraform_data.cluster_scoped.id, local.environment]
  input            = local.environment

  provisioner "local-exec" {
    command     = "${local.script} install"
    environment = self.input
  }

  provisioner "local-exec" {
    when        = destroy
    command     = "${path.module}/scripts/kfp.sh uninstall"
    environment = self.input
  }
}
