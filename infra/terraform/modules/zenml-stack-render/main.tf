locals {
  # One entry per stack component type; each configuration keeps only the keys that are set,
  # so ZenML's own defaults apply to the rest.
  components = {
    orchestrator = {
      name   = "${var.stack_name}-kubeflow"
      flavor = "kubeflow"
      configuration = { for k, v in {
        kubernetes_context = var.kubeflow.kubernetes_context
        kubeflow_hostname  = var.kubeflow.kubeflow_hostname
        kubeflow_namespace = var.kubeflow.kubeflow_namespace
        synchronous        = var.kubeflow.synchronous
        timeout            = var.kubeflow.timeout
      } : k => v if v != null }
    }
    artifact_store = {
      name          = "${var.stack_name}-artifacts"
      flavor        = var.artifact_store.flavor
      configuration = { path = var.artifact_store.path }
    }
    container_registry = {
      name          = "${var.stack_name}-registry"
      flavor        = var.container_registry.flavor
      configuration = { uri = var.container_registry.uri }
    }
    image_builder = {
      name   = "${var.stack_name}-${var.image_builder.flavor}-builder"
      flavor = var.image_builder.flavor
      configuration = { for k, v in {
        kubernetes_context   = var.image_builder.kubernetes_context
        kubernetes_namespace = var.image_builder.kubernetes_namespace
      } : k => v if var.image_builder.flavor == "kaniko" && v != null }
    }
  }

  # The document `zenml stack export` writes and `zenml stack import` reads (zenml 0.98:
  # stack_name, zenml_version, components = {type: [{name, type, flavor, configuration}]}).
  import_document = {
    stack_name    = var.stack_name
    zenml_version = var.zenml_version
    components = { for type, c in local.components : type => [{
      name          = c.name
      type          = type
      flavor        = c.flavor
      configuration = c.configuration
    }] }
  }
}
