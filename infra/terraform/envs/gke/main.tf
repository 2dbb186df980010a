locals {
  kube_context    = "gke_${var.project_id}_${var.zone}_${var.name}"
  kubeconfig_path = "${path.root}/.kube/config"
  deploy_zenml    = var.existing_zenml_server_url == null
  github_ci       = var.github_repository != null
  zenml_url       = local.deploy_zenml ? "https://${var.zenml_hostname}" : null
}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "binaryauthorization.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
  ])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# --- Network: private nodes, egress through Cloud NAT (KFP and ZenML images are public) ----

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false

  depends_on = [google_project_service.apis]
}

resource "google_compute_subnetwork" "nodes" {
  project                  = var.project_id
  name                     = "${var.name}-nodes"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.subnet_cidrs.nodes
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.subnet_cidrs.pods
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.subnet_cidrs.services
  }

  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Explicit default: nothing reaches the VPC unless GKE's own rules (control plane, load
# balancer health checks, pod ranges; priority 1000) allow it. Denied attempts are logged.
resource "google_compute_firewall" "deny_all_ingress" {
  project   = var.project_id
  name      = "${var.name}-deny-all-ingress"
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 65534

  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  project = var.project_id
  name    = var.name
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = var.project_id
  name                               = var.name
  router                             = google_compute_router.this.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# --- Identities: nodes get the minimal node role plus image pulls from our repository -------

resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "GKE nodes of ${var.name}"
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = google_service_account.nodes.member
}

resource "google_artifact_registry_repository_iam_member" "nodes_pull" {
  project    = var.project_id
  location   = module.registry.location
  repository = module.registry.repository_id
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.nodes.member
}

# --- Cluster --------------------------------------------------------------------------------

resource "google_container_cluster" "this" {
  # checkov:skip=CKV_GCP_12: NetworkPolicy is enforced by Dataplane V2 (ADVANCED_DATAPATH); the
  # legacy Calico network_policy block cannot be combined with it.
  # checkov:skip=CKV_GCP_65: Google Groups for RBAC needs a Google Workspace domain; set
  # rbac_security_group when you have one (the block below is then added).
  project             = var.project_id
  name                = var.name
  location            = var.zone
  network             = google_compute_network.this.id
  subnetwork          = google_compute_subnetwork.nodes.id
  deletion_protection = var.deletion_protection
  resource_labels     = var.labels

  # The default pool is replaced by the pipelines pool below.
  remove_default_node_pool = true
  initial_node_count       = 1

  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false # reachable from authorized_networks only
    master_ipv4_cidr_block  = var.subnet_cidrs.control_plane
  }

  # GitHub-hosted runners have no fixed address to authorise: with CI wired, the control plane
  # also answers on its DNS-based endpoint, where every request needs IAM (the CI identities'
  # cluster role) instead of a source address. The IP endpoint keeps authorized_networks.
  control_plane_endpoints_config {
    dns_endpoint_config {
      allow_external_traffic = local.github_ci
    }
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  dynamic "authenticator_groups_config" {
    for_each = var.rbac_security_group == null ? [] : [var.rbac_security_group]
    content {
      security_group = authenticator_groups_config.value
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  release_channel {
    channel = "REGULAR"
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  # Dataplane V2 enforces NetworkPolicy.
  datapath_provider           = "ADVANCED_DATAPATH"
  enable_shielded_nodes       = true
  enable_intranode_visibility = true

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  # Applies to the temporary default pool only; the same hardening as the pipelines pool.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    metadata        = { disable-legacy-endpoints = "true" }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  depends_on = [google_project_service.apis, google_project_iam_member.nodes]
}

resource "google_container_node_pool" "pipelines" {
  project  = var.project_id
  name     = "pipelines"
  cluster  = google_container_cluster.this.id
  location = var.zone

  initial_node_count = var.node_pool.min_nodes

  autoscaling {
    min_node_count = var.node_pool.min_nodes
    max_node_count = var.node_pool.max_nodes
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = var.node_pool.machine_type
    disk_size_gb    = var.node_pool.disk_size_gb
    disk_type       = "pd-balanced"
    image_type      = "COS_CONTAINERD"
    spot            = var.node_pool.spot
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"] # IAM decides, not scopes
    metadata        = { disable-legacy-endpoints = "true" }
    labels          = merge(var.labels, { workload = "pipelines" })

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  lifecycle {
    ignore_changes = [initial_node_count]
  }
}

# kubectl credentials for the KFP install, in a kubeconfig of this directory (git-ignored);
# operators run the get_credentials_command output to get the same context.
resource "terraform_data" "kubeconfig" {
  triggers_replace = [google_container_cluster.this.id, google_container_cluster.this.endpoint]

  provisioner "local-exec" {
    command     = "gcloud container clusters get-credentials ${var.name} --zone ${var.zone} --project ${var.project_id}"
    environment = { KUBECONFIG = local.kubeconfig_path }
  }
}

# --- Artifacts, images and the pipeline runner's identity -----------------------------------

module "artifact_bucket" {
  source = "../../modules/gcp-artifact-bucket"

  project_id    = var.project_id
  name          = "${var.project_id}-${var.name}-artifacts"
  location      = var.region
  force_destroy = !var.deletion_protection
  labels        = var.labels
}

module "registry" {
  source = "../../modules/gcp-image-registry"

  project_id    = var.project_id
  location      = var.region
  repository_id = var.name
  labels        = var.labels

  depends_on = [google_project_service.apis]
}

module "pipeline_runner_identity" {
  source = "../../modules/gcp-workload-identity"

  project_id                 = var.project_id
  account_id                 = "${var.name}-runner"
  kubernetes_namespace       = "kubeflow"
  kubernetes_service_account = "pipeline-runner"
  bucket_name                = module.artifact_bucket.name
  registry = {
    location      = module.registry.location
    repository_id = module.registry.repository_id
  }

  # The Workload Identity pool exists once the cluster does.
  depends_on = [google_container_cluster.this]
}

# GitHub Actions: an OIDC identity per workflow (train on the main branch, release in the
# production environment), no stored key.
module "github_ci" {
  source = "../../modules/gcp-github-ci"
  count  = local.github_ci ? 1 : 0

  project_id           = var.project_id
  name                 = var.name
  github_repository    = var.github_repository
  github_repository_id = var.github_repository_id
  cluster_role         = var.ci_cluster_role
  bucket_name          = module.artifact_bucket.name
  data_buckets         = var.ci_data_buckets
  registry = {
    location      = module.registry.location
    repository_id = module.registry.repository_id
  }

  depends_on = [google_project_service.apis]
}

module "kubeflow_pipelines" {
  source = "../../modules/kubeflow-pipelines"

  pipelines_version           = var.kfp_version
  kube_context                = local.kube_context
  kubeconfig_path             = local.kubeconfig_path
  pipeline_runner_annotations = module.pipeline_runner_identity.kubernetes_annotations
  # In the artifact bucket, which pipeline-runner reads and writes through Workload Identity
  # (GCS needs no providers entry: the pods' own credentials apply).
  default_pipeline_root = "${module.artifact_bucket.url}/kfp"

  depends_on = [terraform_data.kubeconfig, google_container_node_pool.pipelines, google_compute_router_nat.this]
}

# --- ZenML server: official chart, Cloud SQL MySQL, HTTPS behind a GCE ingress --------------

module "database" {
  source = "../../modules/gcp-cloudsql-mysql"
  count  = local.deploy_zenml ? 1 : 0

  project_id          = var.project_id
  region              = var.region
  instance_name       = "${var.name}-zenml"
  network_id          = google_compute_network.this.id
  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.apis]
}

resource "google_compute_global_address" "zenml" {
  count = local.deploy_zenml ? 1 : 0

  project = var.project_id
  name    = "${var.name}-zenml"
}

resource "google_compute_managed_ssl_certificate" "zenml" {
  count = local.deploy_zenml ? 1 : 0

  project = var.project_id
  name    = "${var.name}-zenml"

  managed {
    domains = [var.zenml_hostname]
  }
}

module "zenml_server" {
  source = "../../modules/zenml-server"

  existing_server_url = var.existing_zenml_server_url
  server_url          = local.zenml_url
  chart_version       = var.zenml_version
  database_url        = local.deploy_zenml ? module.database[0].database_url : null
  ingress = local.deploy_zenml ? {
    host = var.zenml_hostname
    annotations = {
      "kubernetes.io/ingress.class"                 = "gce"
      "kubernetes.io/ingress.global-static-ip-name" = google_compute_global_address.zenml[0].name
      "ingress.gcp.kubernetes.io/pre-shared-cert"   = google_compute_managed_ssl_certificate.zenml[0].name
      "kubernetes.io/ingress.allow-http"            = "false"
    }
  } : null

  depends_on = [google_container_node_pool.pipelines, google_compute_router_nat.this]
}

# --- The stack: rendered for `zenml stack import`, optionally registered by the provider ----

locals {
  stack = {
    stack_name    = "${var.name}-gke"
    zenml_version = var.zenml_version
    kubeflow = {
      kubernetes_context = module.kubeflow_pipelines.kube_context
      kubeflow_namespace = module.kubeflow_pipelines.namespace
    }
    artifact_store = {
      flavor = "gcp"
      path   = "${module.artifact_bucket.url}/zenml"
    }
    container_registry = {
      flavor = "gcp"
      uri    = module.registry.uri
    }
  }
}

module "stack_render" {
  source = "../../modules/zenml-stack-render"

  stack_name         = local.stack.stack_name
  zenml_version      = local.stack.zenml_version
  kubeflow           = local.stack.kubeflow
  artifact_store     = local.stack.artifact_store
  container_registry = local.stack.container_registry
}

module "stack_registration" {
  source = "../../modules/zenml-stack"
  count  = var.register_stack ? 1 : 0

  stack_name         = local.stack.stack_name
  zenml_version      = local.stack.zenml_version
  kubeflow           = local.stack.kubeflow
  artifact_store     = local.stack.artifact_store
  container_registry = local.stack.container_registry
  labels             = var.labels
}
