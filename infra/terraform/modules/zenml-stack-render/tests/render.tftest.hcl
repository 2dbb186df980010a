# Offline: the module has no provider, so `terraform test` plans and applies it for real.

variables {
  stack_name    = "mf-gke"
  zenml_version = "0.98.0"
  kubeflow = {
    kubernetes_context = "gke_proj_europe-west1_model-factory"
  }
  artifact_store = {
    flavor = "gcp"
    path   = "gs://proj-model-factory-artifacts/zenml"
  }
  container_registry = {
    flavor = "gcp"
    uri    = "europe-west1-docker.pkg.dev/proj/model-factory"
  }
}

run "gke_stack_renders_the_import_document" {
  command = apply

  assert {
    condition     = output.import_document.stack_name == "mf-gke" && output.import_document.zenml_version == "0.98.0"
    error_message = "stack_name and zenml_version must be written at the top of the import document."
  }

  assert {
    condition     = toset(keys(output.import_document.components)) == toset(["orchestrator", "artifact_store", "container_registry", "image_builder"])
    error_message = "A Kubeflow stack needs an orchestrator, a remote artifact store, a container registry and an image builder."
  }

  assert {
    condition     = output.import_document.components.orchestrator[0].flavor == "kubeflow" && output.import_document.components.orchestrator[0].configuration.kubernetes_context == "gke_proj_europe-west1_model-factory"
    error_message = "The orchestrator must be the kubeflow flavor pointed at the cluster's context."
  }

  assert {
    condition     = !contains(keys(output.import_document.components.orchestrator[0].configuration), "kubeflow_hostname")
    error_message = "Unset options must be left out so ZenML's defaults apply."
  }

  assert {
    condition     = output.import_document.components.artifact_store[0].configuration.path == "gs://proj-model-factory-artifacts/zenml"
    error_message = "The artifact store path must pass through unchanged."
  }

  assert {
    condition     = output.import_document.components.image_builder[0].flavor == "local" && length(output.import_document.components.image_builder[0].configuration) == 0
    error_message = "The default image builder is 'local' with no configuration."
  }

  assert {
    condition     = yamldecode(output.import_yaml) == output.import_document
    error_message = "import_yaml must be the YAML of import_document."
  }

  assert {
    condition     = output.provider_components.orchestrator.configuration.synchronous == "true" && output.provider_components.orchestrator.configuration.timeout == "1200"
    error_message = "Provider configuration values must be strings."
  }

  assert {
    condition     = alltrue([for t, c in output.components : c.name == output.import_document.components[t][0].name])
    error_message = "Provider components and the import document must name the same components."
  }
}

run "kind_stack_with_kaniko_and_local_registry" {
  command = apply

  variables {
    stack_name = "mf-kind"
    kubeflow = {
      kubernetes_context = "kind-model-factory"
    }
    artifact_store = {
      flavor = "s3"
      path   = "s3://model-factory-artifacts"
    }
    container_registry = {
      flavor = "default"
      uri    = "127.0.0.1:5001"
    }
    image_builder = {
      flavor             = "kaniko"
      kubernetes_context = "kind-model-factory"
    }
  }

  assert {
    condition     = output.components.image_builder.configuration == { kubernetes_context = "kind-model-factory", kubernetes_namespace = "zenml-kaniko" }
    error_message = "kaniko must get its context and namespace."
  }

  assert {
    condition     = output.components.container_registry.configuration.uri == "127.0.0.1:5001"
    error_message = "The kind registry must pass through unchanged."
  }
}

run "rejects_artifact_path_of_the_wrong_scheme" {
  command = plan

  variables {
    artifact_store = {
      flavor = "gcp"
      path   = "s3://bucket"
    }
  }

  expect_failures = [var.artifact_store]
}

run "rejects_two_ways_to_reach_kubeflow" {
  command = plan

  variables {
    kubeflow = {
      kubernetes_context = "kind-model-factory"
      kubeflow_hostname  = "http://localhost:8080"
    }
  }

  expect_failures = [var.kubeflow]
}

run "rejects_registry_uri_with_scheme" {
  command = plan

  variables {
    container_registry = {
      flavor = "default"
      uri    = "https://registry.example.com"
    }
  }

  expect_failures = [var.container_registry]
}
