# Offline: terraform_data is built in, and `plan` runs no provisioner, so nothing is installed.

variables {
  kube_context = "kind-model-factory"
}

run "defaults_pin_the_release_and_stay_private" {
  command = plan

  assert {
    condition     = terraform_data.cluster_scoped.input.KFP_VERSION == "2.17.0" && terraform_data.pipelines.input.KFP_VERSION == "2.17.0"
    error_message = "Both install steps must apply the same pinned release."
  }

  assert {
    condition     = terraform_data.pipelines.input.KFP_CONTEXT == "kind-model-factory"
    error_message = "kubectl must be pinned to the given context."
  }

  assert {
    condition     = terraform_data.pipelines.input.KFP_NODE_PORT == ""
    error_message = "KFP must stay private unless a NodePort is asked for."
  }

  assert {
    condition     = output.port_forward_command == "kubectl --context kind-model-factory -n kubeflow port-forward svc/ml-pipeline-ui 8080:80"
    error_message = "A private install must tell how to reach it."
  }

  assert {
    condition     = !contains(keys(terraform_data.pipelines.input), "KUBECONFIG")
    error_message = "Without kubeconfig_path kubectl's own default applies."
  }

  assert {
    condition     = terraform_data.pipelines.input.KFP_PIPELINE_ROOT == "" && terraform_data.pipelines.input.KFP_PROVIDERS == "" && output.default_pipeline_root == "minio://mlpipeline/v2/artifacts"
    error_message = "Without a pipeline root the kfp-launcher ConfigMap is left alone and KFP's default applies."
  }
}

run "a_pipeline_root_and_its_store_reach_the_launcher_config" {
  command = plan

  variables {
    default_pipeline_root  = "s3://mlpipeline/v2/artifacts"
    object_store_providers = "s3:\n  endpoint: minio-service.kubeflow:9000\n  credentials:\n    secretRef:\n      secretName: mlpipeline-minio-artifact\n"
  }

  assert {
    condition     = terraform_data.pipelines.input.KFP_PIPELINE_ROOT == "s3://mlpipeline/v2/artifacts" && output.default_pipeline_root == "s3://mlpipeline/v2/artifacts"
    error_message = "The pipeline root must reach the install script and the output."
  }

  assert {
    condition     = yamldecode(terraform_data.pipelines.input.KFP_PROVIDERS).s3.endpoint == "minio-service.kubeflow:9000"
    error_message = "The providers YAML must reach the install script unchanged."
  }
}

run "rejects_a_pipeline_root_that_is_no_bucket_uri" {
  command = plan

  variables {
    default_pipeline_root = "/tmp/artifacts"
  }

  expect_failures = [var.default_pipeline_root]
}

run "kind_exposes_the_ui_on_a_node_port" {
  command = plan

  variables {
    ui_node_port    = 30080
    local_port      = 8080
    kubeconfig_path = "/tmp/kubeconfig"
  }

  assert {
    condition     = terraform_data.pipelines.input.KFP_NODE_PORT == "30080" && terraform_data.pipelines.input.KUBECONFIG == "/tmp/kubeconfig"
    error_message = "The NodePort and kubeconfig must reach the install script."
  }

  assert {
    condition     = output.port_forward_command == null
    error_message = "No port-forward is needed behind a NodePort."
  }
}

run "workload_identity_annotation_reaches_the_runner" {
  command = plan

  variables {
    pipeline_runner_annotations = { "iam.gke.io/gcp-service-account" = "kfp-runner@proj.iam.gserviceaccount.com" }
    public_endpoint             = "https://kfp.example.com"
  }

  assert {
    condition     = terraform_data.pipelines.input.KFP_RUNNER_ANNOTATIONS == "iam.gke.io/gcp-service-account=kfp-runner@proj.iam.gserviceaccount.com"
    error_message = "Annotations must be passed as key=value."
  }

  assert {
    condition     = output.port_forward_command == null
    error_message = "A public endpoint needs no port-forward."
  }
}

run "rejects_a_node_port_outside_the_range" {
  command = plan

  variables {
    ui_node_port = 8080
  }

  expect_failures = [var.ui_node_port]
}

run "rejects_a_non_2x_release" {
  command = plan

  variables {
    pipelines_version = "1.8.5"
  }

  expect_failures = [var.pipelines_version]
}
