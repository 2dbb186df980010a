resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = var.account_id
  display_name = "Workload Identity for ${var.kubernetes_namespace}/${var.kubernetes_service_account}"
}

# Only this one Kubernetes service account may impersonate the Google service account.
resource "google_service_account_iam_member" "workload_identity_user" {
  service_account_id = google_service_account.this.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.kubernetes_namespace}/${var.kubernetes_service_account}]"
}

# Resource-level grants only: no project-wide role.
resource "google_storage_bucket_iam_member" "artifacts" {
  bucket = var.bucket_name
  role   = var.bucket_role
  member = google_service_account.this.member
}

resource "google_artifact_registry_repository_iam_member" "pull" {
  count = var.registry == null ? 0 : 1

  project    = var.project_id
  location   = var.registry.location
  repository = var.registry.repository_id
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.this.member
}
