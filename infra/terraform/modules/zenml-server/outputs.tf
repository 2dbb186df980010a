output "url" {
  description = "ZenML server URL for `zenml login <url>`, the zenml provider and the stack."
  value       = local.deploy ? var.server_url : var.existing_server_url
  depends_on  = [helm_release.zenml]
}

output "deployed" {
  description = "Whether this module deployed the server (false: an existing server's URL was passed through)."
  value       = local.deploy
}

output "namespace" {
  description = "Namespace of the deployed server; null when an existing server is used."
  value       = local.deploy ? var.namespace : null
}

output "admin_username" {
  description = "Initial admin user of a deployed server; null when an existing server is used."
  value       = local.deploy ? "admin" : null
}

output "admin_password" {
  description = "Initial admin password of a deployed server (change it after the first login); null when an existing server is used."
  value       = local.deploy ? random_password.admin[0].result : null
  sensitive   = true
}
