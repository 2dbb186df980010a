output "workload_identity_provider" {
  description = "Full provider name for google-github-actions/auth's workload_identity_provider (the GCP_WORKLOAD_IDENTITY_PROVIDER repository variable)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "train_service_account" {
  description = "Service account train.yml acts as (the GCP_TRAIN_SERVICE_ACCOUNT repository variable)."
  value       = google_service_account.ci["train"].email
}

output "release_service_account" {
  description = "Service account release.yml acts as (the GCP_RELEASE_SERVICE_ACCOUNT variable of the production environment)."
  value       = google_service_account.ci["release"].email
}
