output "stack_name" {
  description = "Name of the rendered stack."
  value       = var.stack_name
}

output "components" {
  description = "Components by type: name, flavor and typed configuration (strings, bools and numbers as ZenML's config models expect them)."
  value       = local.components
}

output "provider_components" {
  description = "The same components with every configuration value as a string, the form the zenml-io/zenml provider's zenml_stack_component.configuration (map of strings) takes; ZenML's config models coerce them back."
  value = { for type, c in local.components : type => {
    name          = c.name
    flavor        = c.flavor
    configuration = { for k, v in c.configuration : k => tostring(v) }
  } }
}

output "import_document" {
  description = "The stack as the object `zenml stack import` reads."
  value       = local.import_document
}

output "import_yaml" {
  description = "The stack as YAML for `zenml stack import <file>.yaml`; write it with `terraform output -raw zenml_stack_yaml > stack.yaml`."
  value       = yamlencode(local.import_document)
}
