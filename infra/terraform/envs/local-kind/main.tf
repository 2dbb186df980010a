locals {
  kube_context    = "kind-${var.cluster_name}"
  kubeconfig_path = "${path.root}/.kube/config"
  registry_name   = "kind-registry"
  # 127.0.0.1 rather than localhost: ZenML's Kubeflow orchestrator refuses a registry spelt
  # localhost:PORT as local, and Docker pushes to 127.0.0.0/8 without TLS all the same.
  registry_uri  = "127.0.0.1:${var.registry_host_port}"
  kfp_node_port = 30080

  # Runs store artifacts in the MinIO that KFP deploys, addressed as s3:// rather than KFP's
  # default minio:// scheme: s3:// URIs are what fsspec (s3fs) and every S3 client read, given
  # AWS_ENDPOINT_URL and the keys of the same Secret. The launcher gets the endpoint and a
  # reference to that Secret, never the keys.
  minio_providers = <<-YAML
    s3:
      endpoint: minio-service.kubeflow:9000
      region: minio
      disableSSL: true
      credentials:
        fromEnv: false
        secretRef:
          secretName: mlpipeline-minio-artifact
          accessKeyKey: accesskey
          secretKeyKey: secretkey
  YAML
}

resource "kind_cluster" "this" {
  name            = var.cluster_name
  node_image      = var.node_image
  kubeconfig_path = local.kubeconfig_path
  wait_for_ready  = true

  kind_config {
    kind        = "Cluster"
    api_version = "kind.x-k8s.io/v1alpha4"

    # Nodes resolve registry mirrors from /etc/containerd/certs.d (written below).
    containerd_config_patches = [
      <<-TOML
      [plugins."io.containerd.grpc.v1.cri".registry]
        config_path = "/etc/containerd/certs.d"
      TOML
    ]

    node {
      role = "control-plane"

      extra_port_mappings {
        container_port = local.kfp_node_port
        host_port      = var.kfp_host_port
        listen_address = "127.0.0.1"
      }
    }

    dynamic "node" {
      for_each = range(var.worker_nodes)
      content {
        role = "worker"
      }
    }
  }
}

# Local registry (kind's documented recipe): the laptop pushes to 127.0.0.1:PORT, nodes pull
# the same name through a mirror pointing at the registry container on the kind network.
resource "docker_image" "registry" {
  name         = "registry:2.8.3"
  keep_locally = true
}

resource "docker_container" "registry" {
  name    = local.registry_name
  image   = docker_image.registry.image_id
  restart = "always"

  ports {
    internal = 5000
    external = var.registry_host_port
    ip       = "127.0.0.1"
  }

  networks_advanced {
    name = "kind" # created by kind with the first cluster
  }

  depends_on = [kind_cluster.this]
}

resource "terraform_data" "registry_mirror" {
  triggers_replace = [kind_cluster.this.id, docker_container.registry.id, var.registry_host_port]

  provisioner "local-exec" {
    interpreter = ["/bin/bash", "-c"]
    command     = <<-BASH
      set -euo pipefail
      dir="/etc/containerd/certs.d/${local.registry_uri}"
      for node in $(docker ps --filter "label=io.x-k8s.kind.cluster=${var.cluster_name}" --format '{{.Names}}'); do
        docker exec "$node" mkdir -p "$dir"
        printf '[host."http://${local.registry_name}:5000"]\n' | docker exec -i "$node" cp /dev/stdin "$dir/hosts.toml"
      done
    BASH
  }
}

module "kubeflow_pipelines" {
  source = "../../modules/kubeflow-pipelines"

  pipelines_version = var.kfp_version
  kube_context      = local.kube_context
  kubeconfig_path   = kind_cluster.this.kubeconfig_path
  ui_node_port      = local.kfp_node_port
  local_port        = var.kfp_host_port

  default_pipeline_root  = var.pipeline_root
  object_store_providers = startswith(var.pipeline_root, "s3://mlpipeline/") ? local.minio_providers : null
  # The tasks that read s3:// data (windows, batches in MinIO) get MinIO's keys from this Secret.
  object_store_env = { name = "model-factory-object-store", endpoint = "http://minio-service.kubeflow:9000" }
}

module "zenml_stack" {
  source = "../../modules/zenml-stack-render"
  count  = var.zenml_stack == null ? 0 : 1

  stack_name    = var.zenml_stack.stack_name
  zenml_version = var.zenml_version
  kubeflow = {
    kubernetes_context = module.kubeflow_pipelines.kube_context
    kubeflow_namespace = module.kubeflow_pipelines.namespace
  }
  artifact_store = var.zenml_stack.artifact_store
  container_registry = {
    flavor = "default"
    uri    = local.registry_uri
  }
}
