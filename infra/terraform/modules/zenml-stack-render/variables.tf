variable "stack_name" {
  type        = string
  description = "Name of the ZenML stack; also the prefix of every component name."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,62}$", var.stack_name))
    error_message = "stack_name must be 2-63 characters of lowercase letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "zenml_version" {
  type        = string
  description = "ZenML version written into the import document. `zenml stack import` refuses a document whose version differs from the installed client, so keep it equal to the project's pinned zenml."

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.zenml_version))
    error_message = "zenml_version must be a release version such as 0.98.0."
  }
}

variable "kubeflow" {
  type = object({
    kubernetes_context = optional(string)
    kubeflow_hostname  = optional(string)
    kubeflow_namespace = optional(string, "kubeflow")
    synchronous        = optional(bool, true)
    timeout            = optional(number, 1200)
  })
  description = "Kubeflow orchestrator settings. Standalone (single-tenant) KFP is reached through a kubeconfig context (kubernetes_context); kubeflow_hostname is for a KFP endpoint exposed behind its own authentication."

  validation {
    condition     = (var.kubeflow.kubernetes_context == null) != (var.kubeflow.kubeflow_hostname == null)
    error_message = "Set exactly one of kubeflow.kubernetes_context or kubeflow.kubeflow_hostname."
  }

  validation {
    condition     = var.kubeflow.kubeflow_hostname == null || can(regex("^https?://", coalesce(var.kubeflow.kubeflow_hostname, "-")))
    error_message = "kubeflow.kubeflow_hostname must be an http(s) URL."
  }

  validation {
    condition     = var.kubeflow.timeout > 0 && floor(var.kubeflow.timeout) == var.kubeflow.timeout
    error_message = "kubeflow.timeout must be a positive whole number of seconds."
  }
}

variable "artifact_store" {
  type = object({
    flavor = string
    path   = string
  })
  description = "Remote artifact store: flavor 'gcp' with a gs:// path or 's3' with an s3:// path. Credentials come from the environment (Workload Identity in pods, ADC or AWS profile on the client), never from this configuration."

  validation {
    condition     = contains(["gcp", "s3"], var.artifact_store.flavor)
    error_message = "artifact_store.flavor must be 'gcp' or 's3'."
  }

  validation {
    condition     = startswith(var.artifact_store.path, var.artifact_store.flavor == "gcp" ? "gs://" : "s3://")
    error_message = "artifact_store.path must start with gs:// for flavor 'gcp' and s3:// for flavor 's3'."
  }
}

variable "container_registry" {
  type = object({
    flavor = string
    uri    = string
  })
  description = "Container registry the image builder pushes to and the cluster pulls from: flavor 'gcp' (Artifact Registry, e.g. europe-west1-docker.pkg.dev/PROJECT/REPO) or 'default' (any registry, e.g. a kind local registry 127.0.0.1:5001; ZenML's Kubeflow orchestrator rejects the spelling localhost:PORT as a local registry)."

  validation {
    condition     = contains(["gcp", "default"], var.container_registry.flavor)
    error_message = "container_registry.flavor must be 'gcp' or 'default'."
  }

  validation {
    condition     = length(regexall("://|/$|\\s", var.container_registry.uri)) == 0 && length(var.container_registry.uri) > 0
    error_message = "container_registry.uri must be a registry host[/path] without scheme, whitespace or trailing slash."
  }

  validation {
    condition     = var.container_registry.flavor != "gcp" || can(regex("^([a-z0-9-]+-docker\\.pkg\\.dev|([a-z]+\\.)?gcr\\.io)/", var.container_registry.uri))
    error_message = "A 'gcp' container registry uri must be an Artifact Registry (REGION-docker.pkg.dev/...) or gcr.io address."
  }
}

variable "image_builder" {
  type = object({
    flavor               = optional(string, "local")
    kubernetes_context   = optional(string)
    kubernetes_namespace = optional(string, "zenml-kaniko")
  })
  description = "Image builder: 'local' builds with Docker where `zenml pipeline run` is called (laptop, CI runner); 'kaniko' builds inside the cluster (needs kubernetes_context)."
  default     = {}

  validation {
    condition     = contains(["local", "kaniko"], var.image_builder.flavor)
    error_message = "image_builder.flavor must be 'local' or 'kaniko'."
  }

  validation {
    condition     = var.image_builder.flavor != "kaniko" || var.image_builder.kubernetes_context != null
    error_message = "image_builder.kubernetes_context is required for flavor 'kaniko'."
  }
}
