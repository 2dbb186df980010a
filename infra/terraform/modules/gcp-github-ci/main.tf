# GitHub Actions reach Google Cloud without a stored key: a job exchanges its OIDC token for
# short-lived credentials of one service account (google-github-actions/auth). Only tokens of
# this repository are accepted at all, and each identity only from its own job context, named
# by the token's subject: train.yml on the main branch, release.yml in the `production`
# environment (behind its required reviewers).

locals {
  train_subject   = "repo:${var.github_repository}:ref:refs/heads/${var.train_branch}"
  release_subject = "repo:${var.github_repository}:environment:${var.release_environment}"

  # Tokens of another repository, or of any other job context of this one (pull requests,
  # other branches, jobs outside the environment), are refused before any binding is read.
  attribute_condition = join(" && ", compact([
    "assertion.repository == '${var.github_repository}'",
    var.github_repository_id == null ? "" : "assertion.repository_id == '${var.github_repository_id}'",
    "(assertion.sub == '${local.train_subject}' || assertion.sub == '${local.release_subject}')",
  ]))

  identities = {
    train = {
      account_id = "${var.name}-ci-train"
      subject    = local.train_subject
      purpose    = "train.yml on ${var.train_branch}: pushes images, trains on the cluster"
    }
    release = {
      account_id = "${var.name}-ci-release"
      subject    = local.release_subject
      purpose    = "release.yml in the ${var.release_environment} environment: deploys, exports, uploads"
    }
  }
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = "${var.name}-github"
  display_name              = "GitHub Actions"
  description               = "Jobs of ${var.github_repository}"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  # checkov:skip=CKV_GCP_125: the condition pins the repository (and its ID when given) and
  # the two exact subjects (repo:OWNER/NAME:ref:refs/heads/main, ...:environment:production),
  # built in locals from variables, which the check cannot evaluate.
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub OIDC"

  attribute_mapping = {
    "google.subject"          = "assertion.sub"
    "attribute.repository"    = "assertion.repository"
    "attribute.repository_id" = "assertion.repository_id"
    "attribute.ref"           = "assertion.ref"
  }
  attribute_condition = local.attribute_condition

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci" {
  for_each = local.identities

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = "GitHub Actions: ${each.key}"
  description  = each.value.purpose
}

# Each identity only from its own subject: a pull request, another branch or a job outside the
# environment gets no credentials.
resource "google_service_account_iam_member" "github" {
  for_each = local.identities

  service_account_id = google_service_account.ci[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principal://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/subject/${each.value.subject}"
}

# --- What each may do: resource-level grants, and one cluster role ---------------------------

# get-gke-credentials and the Kubernetes API. clusterViewer alone lets a job in, with nothing to
# do but what Kubernetes RBAC then grants it (docs/kubeflow.md shows the bindings).
resource "google_project_iam_member" "cluster" {
  for_each = local.identities

  project = var.project_id
  role    = var.cluster_role
  member  = google_service_account.ci[each.key].member
}

# train pushes the project and service images; release only resolves their digests.
resource "google_artifact_registry_repository_iam_member" "images" {
  for_each = local.identities

  project    = var.project_id
  location   = var.registry.location
  repository = var.registry.repository_id
  role       = each.key == "train" ? "roles/artifactregistry.writer" : "roles/artifactregistry.reader"
  member     = google_service_account.ci[each.key].member
}

# ZenML's artifact store and the exported production references live in the artifact bucket.
resource "google_storage_bucket_iam_member" "artifacts" {
  for_each = local.identities

  bucket = var.bucket_name
  role   = "roles/storage.objectUser"
  member = google_service_account.ci[each.key].member
}

# The week's training data (BANK_DATA_URI, SALES_DATA_URI), read only.
resource "google_storage_bucket_iam_member" "data" {
  for_each = toset(var.data_buckets)

  bucket = each.value
  role   = "roles/storage.objectViewer"
  member = google_service_account.ci["train"].member
}
