output "uri" {
  description = "Registry address for docker push and the ZenML container registry (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY)."
  value       = "${google_artifact_registry_repository.this.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}

output "repository_id" {
  description = "Repository name, for IAM bindings."
  value       = google_artifact_registry_repository.this.repository_id
}

output "location" {
  description = "Repository region, for IAM bindings."
  value       = google_artifact_registry_repository.this.location
}
