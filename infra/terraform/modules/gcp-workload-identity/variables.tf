variable "project_id" {
  type        = string
  description = "GCP project of the cluster (its Workload Identity pool is PROJECT.svc.id.goog)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "account_id" {
  type        = string
  description = "ID of the Google service account created for the workload."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.account_id))
    error_message = "account_id must be 6-30 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "kubernetes_namespace" {
  type        = string
  description = "Namespace of the Kubernetes service account allowed to act as the Google service account."
}

variable "kubernetes_service_account" {
  type        = string
  description = "Kubernetes service account allowed to act as the Google service account (KFP runs pipeline pods as pipeline-runner)."
}

variable "bucket_name" {
  type        = string
  description = "Artifact bucket the workload reads and writes; the role is granted on this bucket only."
}

variable "bucket_role" {
  type        = string
  description = "Role granted on the bucket. roles/storage.objectUser reads, writes and deletes objects but cannot change bucket settings or IAM."
  default     = "roles/storage.objectUser"

  validation {
    condition     = contains(["roles/storage.objectViewer", "roles/storage.objectCreator", "roles/storage.objectUser"], var.bucket_role)
    error_message = "bucket_role must be an object-level role; bucket admin roles are not least privilege."
  }
}

variable "registry" {
  type = object({
    location      = string
    repository_id = string
  })
  description = "Artifact Registry repository the workload pulls images from; null grants nothing."
  default     = null
}
