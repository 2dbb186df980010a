output "private_ip" {
  description = "Private IP of the instance (reachable from the cluster's VPC only)."
  value       = google_sql_database_instance.this.private_ip_address
}

output "connection_name" {
  description = "Instance connection name (PROJECT:REGION:INSTANCE), for the Cloud SQL Auth Proxy."
  value       = google_sql_database_instance.this.connection_name
}

output "database_url" {
  description = "mysql:// URL of the ZenML database, with the generated password: feed it to the zenml-server module, never to a file."
  value       = "mysql://${google_sql_user.zenml.name}:${random_password.user.result}@${google_sql_database_instance.this.private_ip_address}:3306/${google_sql_database.zenml.name}"
  sensitive   = true
}
