output "stack_id" {
  description = "ID of the registered stack (`zenml stack set <id>`)."
  value       = zenml_stack.this.id
}

output "stack_name" {
  description = "Name of the registered stack."
  value       = zenml_stack.this.name
}

output "component_ids" {
  description = "IDs of the registered components by type."
  value       = { for type, component in zenml_stack_component.this : type => component.id }
}

output "import_yaml" {
  description = "The same stack for `zenml stack import`, rendered without the provider."
  value       = module.render.import_yaml
}
