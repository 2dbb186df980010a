variable "project_id" {
  type        = string
  description = "GCP project of the cluster, registry and bucket CI works on."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "name" {
  type        = string
  description = "Prefix of the pool and the service accounts (<name>-github, <name>-ci-train, <name>-ci-release)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,18}$", var.name))
    error_message = "name must be 3-19 lowercase letters, digits or '-', starting with a letter (<name>-ci-release must fit a 30-character service account ID)."
  }
}

variable "github_repository" {
  type        = string
  description = "The repository whose workflows may authenticate, as OWNER/NAME."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/NAME."
  }
}

variable "github_repository_id" {
  type        = string
  description = "Numeric ID of the repository (`gh api repos/OWNER/NAME --jq .id`): also required of tokens, so a repository deleted and recreated under the same name is not trusted. null checks the name only."
  default     = null

  validation {
    condition     = var.github_repository_id == null || can(regex("^[0-9]+$", coalesce(var.github_repository_id, "-")))
    error_message = "github_repository_id must be the numeric repository ID."
  }
}

variable "train_branch" {
  type        = string
  description = "Branch whose jobs act as the train identity (train.yml runs on pushes to it and on its schedule)."
  default     = "main"

  validation {
    condition     = length(trimspace(var.train_branch)) > 0 && !can(regex("[*\\s]", var.train_branch))
    error_message = "train_branch must be one branch name, without wildcards."
  }
}

variable "release_environment" {
  type        = string
  description = "GitHub environment whose jobs act as the release identity; protect it with required reviewers."
  default     = "production"

  validation {
    condition     = length(trimspace(var.release_environment)) > 0 && !can(regex("[*:\\s]", var.release_environment))
    error_message = "release_environment must be one environment name."
  }
}

variable "cluster_role" {
  type        = string
  description = "Project role both identities get for GKE. roles/container.clusterViewer lets them fetch credentials and leaves everything inside the cluster to Kubernetes RBAC (narrowest); roles/container.developer also works without RBAC bindings."
  default     = "roles/container.clusterViewer"

  validation {
    condition     = contains(["roles/container.clusterViewer", "roles/container.developer"], var.cluster_role)
    error_message = "cluster_role must be roles/container.clusterViewer or roles/container.developer; admin roles are not least privilege."
  }
}

variable "registry" {
  type = object({
    location      = string
    repository_id = string
  })
  description = "Artifact Registry repository of the images: train pushes to it, release reads digests from it."
}

variable "bucket_name" {
  type        = string
  description = "Artifact bucket (ZenML artifact store, exported references); both identities read and write objects in it."
}

variable "data_buckets" {
  type        = list(string)
  description = "Buckets holding the training data the train identity reads (read-only); empty when the data is in the artifact bucket."
  default     = []
}
