variable "project_id" {
  type        = string
  description = "GCP project that owns the bucket."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "name" {
  type        = string
  description = "Globally unique bucket name for pipeline artifacts (ZenML artifact store)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid GCS bucket name (3-63 lowercase letters, digits, '-' or '_')."
  }
}

variable "location" {
  type        = string
  description = "Bucket location; use the cluster's region to keep artifact traffic regional."
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key for customer-managed encryption; null keeps Google-managed encryption."
  default     = null
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket receiving usage and storage logs; null disables bucket access logging (Cloud Audit Logs still record data access when enabled for the project)."
  default     = null
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days an overwritten or deleted artifact version is kept before it is removed."
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete a bucket that still holds artifacts. Keep false outside throw-away environments."
  default     = false
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the bucket."
  default     = {}
}
