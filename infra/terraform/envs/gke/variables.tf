variable "project_id" {
  type        = string
  description = "GCP project everything is created in."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid GCP project ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the bucket, registry, database and subnet."
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a GCP region such as europe-west1."
  }
}

variable "zone" {
  type        = string
  description = "Zone of the (zonal) cluster; must be in region. A zonal cluster keeps one node pool instead of one per zone."
  default     = "europe-west1-b"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]-[a-z]$", var.zone))
    error_message = "zone must be a GCP zone such as europe-west1-b."
  }
}

variable "name" {
  type        = string
  description = "Name of the cluster and prefix of every other resource."
  default     = "model-factory"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.name))
    error_message = "name must be 3-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "CIDR ranges allowed to reach the Kubernetes API (operators, CI). Nodes have no public IP; the API is reachable from these ranges only."

  validation {
    condition     = length(var.authorized_networks) > 0 && alltrue([for n in var.authorized_networks : can(cidrhost(n.cidr_block, 0)) && n.cidr_block != "0.0.0.0/0"])
    error_message = "authorized_networks must list at least one valid CIDR, and never 0.0.0.0/0."
  }
}

variable "subnet_cidrs" {
  type = object({
    nodes         = optional(string, "10.10.0.0/20")
    pods          = optional(string, "10.20.0.0/16")
    services      = optional(string, "10.30.0.0/20")
    control_plane = optional(string, "172.16.0.0/28")
  })
  description = "Address ranges of the VPC-native cluster (control_plane must be a /28)."
  default     = {}

  validation {
    condition     = alltrue([for c in values(var.subnet_cidrs) : can(cidrhost(c, 0))]) && endswith(var.subnet_cidrs.control_plane, "/28")
    error_message = "subnet_cidrs must be valid CIDRs and control_plane a /28."
  }
}

variable "node_pool" {
  type = object({
    machine_type = optional(string, "e2-standard-4")
    min_nodes    = optional(number, 1)
    max_nodes    = optional(number, 4)
    disk_size_gb = optional(number, 100)
    spot         = optional(bool, false)
  })
  description = "Pipeline node pool. e2-standard-4 (4 vCPU, 16 GiB) holds KFP + ZenML (~3.5 vCPU, 7 GiB requested) on the first nodes and the largest step we run (DBSCAN on 100k rides peaks at ~9.5 GiB) on one node; the autoscaler adds nodes for parallel runs."
  default     = {}

  validation {
    condition     = var.node_pool.min_nodes >= 1 && var.node_pool.max_nodes >= var.node_pool.min_nodes && var.node_pool.max_nodes <= 20
    error_message = "node_pool needs 1 <= min_nodes <= max_nodes <= 20."
  }

  validation {
    condition     = var.node_pool.disk_size_gb >= 50
    error_message = "node_pool.disk_size_gb must be at least 50 (pipeline images are several GB)."
  }
}

variable "kfp_version" {
  type        = string
  description = "Kubeflow Pipelines backend release (must support the project's KFP SDK; see tests/infra/kfp_compatibility.json)."
  default     = "2.17.0"

  validation {
    condition     = can(regex("^2\\.[0-9]+\\.[0-9]+$", var.kfp_version))
    error_message = "kfp_version must be a KFP 2.x release such as 2.17.0."
  }
}

variable "zenml_version" {
  type        = string
  description = "ZenML server chart version and the version of the clients importing the stack (the project's pinned zenml)."
  default     = "0.98.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.zenml_version))
    error_message = "zenml_version must be a release version such as 0.98.0."
  }
}

variable "zenml_hostname" {
  type        = string
  description = "DNS name of the ZenML server; point an A record at the zenml_server_ip output. A Google-managed certificate is issued for it. Ignored when existing_zenml_server_url is set."
  default     = null

  validation {
    condition     = var.zenml_hostname == null || can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", coalesce(var.zenml_hostname, "-")))
    error_message = "zenml_hostname must be a DNS name such as zenml.example.com."
  }

  validation {
    condition     = var.zenml_hostname != null || var.existing_zenml_server_url != null
    error_message = "Set zenml_hostname to deploy a ZenML server, or existing_zenml_server_url to use one."
  }
}

variable "existing_zenml_server_url" {
  type        = string
  description = "Use this ZenML server (e.g. a ZenML Pro workspace) instead of deploying one; no database or ingress is created then."
  default     = null
}

variable "register_stack" {
  type        = bool
  description = "Register the stack on the ZenML server with the zenml-io/zenml provider. Needs zenml_api_key, so it is a second apply once the server runs; the zenml_stack_yaml output serves `zenml stack import` without it."
  default     = false
}

variable "zenml_api_key" {
  type        = string
  description = "API key of a ZenML service account (`zenml service-account create terraform`), only for register_stack. Pass it as TF_VAR_zenml_api_key, never in a file."
  default     = null
  sensitive   = true

  validation {
    condition     = !var.register_stack || var.zenml_api_key != null
    error_message = "register_stack = true needs zenml_api_key (TF_VAR_zenml_api_key)."
  }
}

variable "rbac_security_group" {
  type        = string
  description = "Google Group (gke-security-groups@YOUR-DOMAIN) whose member groups can be bound in Kubernetes RBAC; null when the project has no Google Workspace domain."
  default     = null

  validation {
    condition     = var.rbac_security_group == null || startswith(coalesce(var.rbac_security_group, "-"), "gke-security-groups@")
    error_message = "GKE only accepts a group named gke-security-groups@YOUR-DOMAIN."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the cluster and the database from `terraform destroy`. Set false only for a throw-away project."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource that takes them."
  default     = { app = "model-factory" }
}

variable "github_repository" {
  type        = string
  description = "GitHub repository (OWNER/NAME) whose train.yml and release.yml reach this project through Workload Identity Federation; null creates no CI identity."
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", coalesce(var.github_repository, "-")))
    error_message = "github_repository must be OWNER/NAME."
  }
}

variable "github_repository_id" {
  type        = string
  description = "Numeric ID of github_repository (`gh api repos/OWNER/NAME --jq .id`), also required of CI tokens; null checks the name only."
  default     = null
}

variable "ci_cluster_role" {
  type        = string
  description = "Project role of the CI identities for GKE: roles/container.clusterViewer (default; grant the rest with Kubernetes RBAC, docs/kubeflow.md) or roles/container.developer."
  default     = "roles/container.clusterViewer"
}

variable "ci_data_buckets" {
  type        = list(string)
  description = "Buckets of the training data (BANK_DATA_URI, SALES_DATA_URI) that train.yml reads, read-only; empty when the data lives in the artifact bucket."
  default     = []
}
