output "email" {
  description = "Email of the Google service account."
  value       = google_service_account.this.email
}

output "kubernetes_annotations" {
  description = "Annotations that bind the Kubernetes service account to the Google service account."
  value       = { "iam.gke.io/gcp-service-account" = google_service_account.this.email }
}
