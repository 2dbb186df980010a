terraform {
  required_version = "~> 1.11"

  # Partial configuration: `terraform init -backend-config=backend.hcl` (see backend.hcl.example).
  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
    zenml = {
      source  = "zenml-io/zenml"
      version = "~> 3.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_client_config" "current" {}

provider "helm" {
  kubernetes = {
    host                   = "https://${google_container_cluster.this.endpoint}"
    token                  = data.google_client_config.current.access_token
    cluster_ca_certificate = base64decode(google_container_cluster.this.master_auth[0].cluster_ca_certificate)
  }
}

# Used only when register_stack = true (second apply, once the server exists and has an API key).
provider "zenml" {
  server_url = module.zenml_server.url
  api_key    = var.zenml_api_key
}
