module "render" {
  source = "../zenml-stack-render"

  stack_name         = var.stack_name
  zenml_version      = var.zenml_version
  kubeflow           = var.kubeflow
  artifact_store     = var.artifact_store
  container_registry = var.container_registry
  image_builder      = var.image_builder
}

resource "zenml_stack_component" "this" {
  for_each = module.render.provider_components

  name          = each.value.name
  type          = each.key
  flavor        = each.value.flavor
  configuration = each.value.configuration
  labels        = var.labels
}

resource "zenml_stack" "this" {
  name       = var.stack_name
  components = { for type, component in zenml_stack_component.this : type => component.id }
  labels     = var.labels
}
