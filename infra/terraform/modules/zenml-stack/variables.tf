# The inputs mirror ../zenml-stack-render, which this module calls: see that module for
# validation. The configured `zenml` provider (server URL + API key) chooses the server.

variable "stack_name" {
  type        = string
  description = "Name of the ZenML stack to register; also the prefix of every component name."
}

variable "zenml_version" {
  type        = string
  description = "ZenML version the server and clients run; written into the rendered import document."
}

variable "kubeflow" {
  type = object({
    kubernetes_context = optional(string)
    kubeflow_hostname  = optional(string)
    kubeflow_namespace = optional(string, "kubeflow")
    synchronous        = optional(bool, true)
    timeout            = optional(number, 1200)
  })
  description = "Kubeflow orchestrator settings (see zenml-stack-render)."
}

variable "artifact_store" {
  type = object({
    flavor = string
    path   = string
  })
  description = "Remote artifact store, flavor 'gcp' or 's3' (see zenml-stack-render)."
}

variable "container_registry" {
  type = object({
    flavor = string
    uri    = string
  })
  description = "Container registry, flavor 'gcp' or 'default' (see zenml-stack-render)."
}

variable "image_builder" {
  type = object({
    flavor               = optional(string, "local")
    kubernetes_context   = optional(string)
    kubernetes_namespace = optional(string, "zenml-kaniko")
  })
  description = "Image builder, flavor 'local' or 'kaniko' (see zenml-stack-render)."
  default     = {}
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the stack and its components (e.g. environment)."
  default     = {}
}
