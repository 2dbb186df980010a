variable "project_id" {
  type        = string
  description = "GCP project of the instance."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the instance (the cluster's region)."
}

variable "instance_name" {
  type        = string
  description = "Cloud SQL instance name."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,96}[a-z0-9]$", var.instance_name))
    error_message = "instance_name must be lowercase letters, digits and '-', starting with a letter."
  }
}

variable "network_id" {
  type        = string
  description = "VPC network (projects/P/global/networks/N) the instance gets its private IP in; it has no public IP."
}

variable "tier" {
  type        = string
  description = "Machine tier; db-g1-small is enough for a ZenML server of one team."
  default     = "db-g1-small"
}

variable "availability_type" {
  type        = string
  description = "ZONAL or REGIONAL (high availability, doubles the cost)."
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.availability_type)
    error_message = "availability_type must be ZONAL or REGIONAL."
  }
}

variable "database_name" {
  type        = string
  description = "Database created for ZenML."
  default     = "zenml"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,64}$", var.database_name))
    error_message = "database_name must be 1-64 letters, digits or '_'."
  }
}

variable "user_name" {
  type        = string
  description = "Database user created for ZenML (its password is generated and kept in state only)."
  default     = "zenml"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,32}$", var.user_name))
    error_message = "user_name must be 1-32 letters, digits or '_'."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the instance (both in Terraform and in the Cloud SQL API)."
  default     = true
}
