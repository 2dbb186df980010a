variable "project_id" {
  type        = string
  description = "GCP project that owns the repository."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "location" {
  type        = string
  description = "Artifact Registry region (the cluster's region, so image pulls stay regional)."
}

variable "repository_id" {
  type        = string
  description = "Repository name; images are pushed to LOCATION-docker.pkg.dev/PROJECT/REPOSITORY_ID."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits and '-', starting with a letter."
  }
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key for customer-managed encryption; null keeps Google-managed encryption."
  default     = null
}

variable "keep_recent_versions" {
  type        = number
  description = "Cleanup policy: how many most recent versions of each image are always kept; older untagged versions are deleted."
  default     = 20

  validation {
    condition     = var.keep_recent_versions >= 1
    error_message = "keep_recent_versions must be at least 1."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the repository."
  default     = {}
}
