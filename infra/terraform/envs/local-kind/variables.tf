variable "cluster_name" {
  type        = string
  description = "Name of the kind cluster; its kubeconfig context is kind-<name>."
  default     = "model-factory"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be lowercase letters, digits and '-' (at most 32 characters)."
  }
}

variable "node_image" {
  type        = string
  description = "kindest/node image (Kubernetes version) of every node, pinned by tag."
  default     = "kindest/node:v1.33.1"

  validation {
    condition     = can(regex("^kindest/node:v1\\.[0-9]+\\.[0-9]+(@sha256:[0-9a-f]{64})?$", var.node_image))
    error_message = "node_image must be a pinned kindest/node:v1.X.Y tag (optionally with @sha256 digest)."
  }
}

variable "worker_nodes" {
  type        = number
  description = "Worker nodes besides the control plane. KFP alone needs about 3 CPUs and 6 GiB; Docker Desktop users should give Docker at least 6 CPUs and 12 GiB."
  default     = 1

  validation {
    condition     = var.worker_nodes >= 0 && var.worker_nodes <= 4 && floor(var.worker_nodes) == var.worker_nodes
    error_message = "worker_nodes must be a whole number from 0 to 4."
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

variable "kfp_host_port" {
  type        = number
  description = "Port on 127.0.0.1 where the KFP UI and API answer (mapped to a NodePort of the cluster)."
  default     = 8080

  validation {
    condition     = var.kfp_host_port >= 1024 && var.kfp_host_port <= 65535 && floor(var.kfp_host_port) == var.kfp_host_port
    error_message = "kfp_host_port must be an unprivileged port (1024-65535)."
  }
}

variable "registry_host_port" {
  type        = number
  description = "Port on 127.0.0.1 of the local image registry; images pushed to 127.0.0.1:<port>/... are pulled by the nodes under the same name."
  default     = 5001

  validation {
    condition     = var.registry_host_port >= 1024 && var.registry_host_port <= 65535 && floor(var.registry_host_port) == var.registry_host_port
    error_message = "registry_host_port must be an unprivileged port (1024-65535)."
  }
}

variable "zenml_version" {
  type        = string
  description = "ZenML version of the clients that import the rendered stack (the project's pinned zenml)."
  default     = "0.98.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.zenml_version))
    error_message = "zenml_version must be a release version such as 0.98.0."
  }
}

variable "zenml_stack" {
  type = object({
    stack_name = optional(string, "model-factory-kind")
    artifact_store = object({
      flavor = string
      path   = string
    })
  })
  description = "Optional ZenML stack on this cluster. ZenML's Kubeflow orchestrator needs a remote artifact store (gs:// or s3:// bucket your laptop and the pods can both reach) and a ZenML server the pods can reach; null renders no stack (native KFP pipelines via `model-factory submit` need neither)."
  default     = null
}

variable "pipeline_root" {
  type        = string
  description = "Where KFP runs store artifacts by default (the kfp-launcher ConfigMap). The default is the bucket of the MinIO KFP deploys, as s3:// so fsspec reads the URIs (endpoint minio-service.kubeflow:9000); a gs:// or other s3:// root needs its own credentials in the cluster."
  default     = "s3://mlpipeline/v2/artifacts"

  validation {
    condition     = can(regex("^(gs|s3|minio)://[a-z0-9][-a-z0-9._]{1,61}[a-z0-9](/.*)?$", var.pipeline_root))
    error_message = "pipeline_root must be a gs://, s3:// or minio:// bucket URI such as s3://mlpipeline/v2/artifacts."
  }
}
