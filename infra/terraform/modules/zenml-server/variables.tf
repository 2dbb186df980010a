variable "existing_server_url" {
  type        = string
  description = "URL of a ZenML server that already runs (ZenML Pro workspace or another cluster). When set, nothing is deployed and this URL is passed through."
  default     = null

  validation {
    condition     = var.existing_server_url == null || can(regex("^https?://[^/\\s]+", coalesce(var.existing_server_url, "-")))
    error_message = "existing_server_url must be an http(s) URL."
  }
}

variable "server_url" {
  type        = string
  description = "URL under which the deployed server is reached by clients and by pipeline pods (ZenML hands the client's URL to the steps, so both must resolve it). Required when deploying."
  default     = null

  validation {
    condition     = var.server_url == null || can(regex("^https?://[^/\\s]+", coalesce(var.server_url, "-")))
    error_message = "server_url must be an http(s) URL."
  }

  validation {
    condition     = var.existing_server_url != null || var.server_url != null
    error_message = "server_url is required when the server is deployed (existing_server_url is null)."
  }
}

variable "chart_version" {
  type        = string
  description = "Version of the official chart oci://public.ecr.aws/zenml/zenml; ZenML releases chart and server together, and clients must run the same version."
  default     = "0.98.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.chart_version))
    error_message = "chart_version must be a release version such as 0.98.0."
  }
}

variable "namespace" {
  type        = string
  description = "Namespace of the ZenML server release (created if missing)."
  default     = "zenml"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a valid Kubernetes namespace name."
  }
}

variable "database_url" {
  type        = string
  description = "External MySQL database of the server, mysql://USER:PASSWORD@HOST:3306/DB (ZenML's SQL store supports MySQL and SQLite only, and SQLite in a pod is lost on restart). Required when deploying; never written to a file: pass it from another module's sensitive output or TF_VAR_database_url."
  default     = null
  sensitive   = true

  validation {
    condition     = var.database_url == null || can(regex("^mysql://[^:@/\\s]+:[^@\\s]+@[^:/\\s]+(:[0-9]+)?/[A-Za-z0-9_]+$", coalesce(var.database_url, "-")))
    error_message = "database_url must look like mysql://USER:PASSWORD@HOST[:PORT]/DATABASE."
  }

  validation {
    condition     = var.existing_server_url != null || var.database_url != null
    error_message = "database_url is required when the server is deployed (existing_server_url is null)."
  }
}

variable "ingress" {
  type = object({
    host        = string
    class_name  = optional(string)
    annotations = optional(map(string), {})
    tls_secret  = optional(string)
  })
  description = "Ingress in front of the server; null leaves only the ClusterIP service (reach it with kubectl port-forward). On GKE use class annotations instead of class_name (see envs/gke)."
  default     = null
}

variable "resources" {
  type = object({
    cpu_request    = optional(string, "250m")
    memory_request = optional(string, "512Mi")
    memory_limit   = optional(string, "2Gi")
  })
  description = "Server pod resources (no CPU limit, to avoid throttling the API)."
  default     = {}
}

variable "helm_timeout_seconds" {
  type        = number
  description = "How long Helm waits for the server to become ready (database migrations run on first start)."
  default     = 900

  validation {
    condition     = var.helm_timeout_seconds >= 60 && var.helm_timeout_seconds <= 3600
    error_message = "helm_timeout_seconds must be between 60 and 3600."
  }
}
