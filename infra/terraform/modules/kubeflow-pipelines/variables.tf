variable "pipelines_version" {
  type        = string
  description = "Kubeflow Pipelines backend release whose standalone manifests are applied (a git tag of kubeflow/pipelines). Must be listed as compatible with the project's KFP SDK in tests/infra/kfp_compatibility.json."
  default     = "2.17.0"

  validation {
    condition     = can(regex("^2\\.[0-9]+\\.[0-9]+$", var.pipelines_version))
    error_message = "pipelines_version must be a KFP 2.x release tag such as 2.17.0."
  }
}

variable "kube_context" {
  type        = string
  description = "kubeconfig context of the target cluster; kubectl runs with --context so a wrong current context can never receive the install."

  validation {
    condition     = length(trimspace(var.kube_context)) > 0
    error_message = "kube_context must not be empty."
  }
}

variable "kubeconfig_path" {
  type        = string
  description = "kubeconfig file holding kube_context; null uses kubectl's default ($KUBECONFIG or ~/.kube/config)."
  default     = null
}

variable "ui_node_port" {
  type        = number
  description = "Expose the KFP UI (which also proxies the API) on this NodePort, for kind clusters that map it to a host port. null keeps KFP private (ClusterIP only): standalone KFP has no authentication, so it must not be exposed on a shared network."
  default     = null

  validation {
    condition     = var.ui_node_port == null || (coalesce(var.ui_node_port, 0) >= 30000 && coalesce(var.ui_node_port, 0) <= 32767)
    error_message = "ui_node_port must be in the Kubernetes NodePort range 30000-32767."
  }
}

variable "local_port" {
  type        = number
  description = "Port on the operator's machine where the KFP UI answers: the kind host port mapped to ui_node_port, or the local end of `kubectl port-forward` for a private cluster."
  default     = 8080

  validation {
    condition     = var.local_port >= 1024 && var.local_port <= 65535 && floor(var.local_port) == var.local_port
    error_message = "local_port must be an unprivileged port (1024-65535)."
  }
}

variable "public_endpoint" {
  type        = string
  description = "URL of KFP behind your own authenticating proxy (e.g. IAP), reported as the endpoint instead of the local one. null when there is none."
  default     = null

  validation {
    condition     = var.public_endpoint == null || can(regex("^https://", coalesce(var.public_endpoint, "-")))
    error_message = "public_endpoint must be an https URL."
  }
}

variable "pipeline_runner_annotations" {
  type        = map(string)
  description = "Annotations put on the pipeline-runner service account that runs pipeline pods, e.g. { \"iam.gke.io/gcp-service-account\" = \"runner@PROJECT.iam.gserviceaccount.com\" } for GKE Workload Identity."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.pipeline_runner_annotations : can(regex("^[A-Za-z0-9./_-]+$", k)) && !can(regex("\\s", v))])
    error_message = "Annotation keys must be DNS-style names and values must not contain whitespace."
  }
}

variable "ready_timeout_seconds" {
  type        = number
  description = "How long to wait for every KFP deployment to become available and the API to answer before the apply fails."
  default     = 900

  validation {
    condition     = var.ready_timeout_seconds >= 60 && var.ready_timeout_seconds <= 3600
    error_message = "ready_timeout_seconds must be between 60 and 3600."
  }
}

variable "default_pipeline_root" {
  type        = string
  description = "Where runs store their artifacts unless a pipeline says otherwise: the kfp-launcher ConfigMap's defaultPipelineRoot in the KFP namespace (e.g. gs://BUCKET/kfp, or s3://mlpipeline/v2/artifacts for the in-cluster MinIO). null leaves KFP's own default (minio://mlpipeline/v2/artifacts)."
  default     = null

  validation {
    condition     = var.default_pipeline_root == null || can(regex("^(gs|s3|minio)://[a-z0-9][-a-z0-9._]{1,61}[a-z0-9](/.*)?$", coalesce(var.default_pipeline_root, "-")))
    error_message = "default_pipeline_root must be a gs://, s3:// or minio:// bucket URI such as gs://my-bucket/kfp."
  }
}

variable "object_store_providers" {
  type        = string
  description = "The kfp-launcher ConfigMap's `providers` YAML: endpoint and credentials (a Secret reference, never the keys) per scheme, e.g. the in-cluster MinIO for s3:// roots. null: none (gs:// then uses the pods' own credentials, Workload Identity on GKE)."
  default     = null

  validation {
    condition     = var.object_store_providers == null || can(yamldecode(coalesce(var.object_store_providers, "{}")))
    error_message = "object_store_providers must be YAML."
  }
}

variable "object_store_env" {
  type = object({
    name     = string
    endpoint = string
  })
  description = "A Secret the install creates in the KFP namespace for the pipelines' data-reading tasks: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY copied in the cluster from KFP's MinIO Secret (mlpipeline-minio-artifact), and AWS_ENDPOINT_URL = endpoint. null: none (gs:// data uses the pods' own credentials)."
  default     = null

  validation {
    condition     = var.object_store_env == null || can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", try(var.object_store_env.name, ""))) && can(regex("^https?://", try(var.object_store_env.endpoint, "")))
    error_message = "object_store_env needs a Kubernetes Secret name (lowercase letters, digits, '-') and an http(s):// endpoint such as http://minio-service.kubeflow:9000."
  }
}
