terraform {
  required_version = "~> 1.11"

  required_providers {
    zenml = {
      source  = "zenml-io/zenml"
      version = "~> 3.0"
    }
  }
}
