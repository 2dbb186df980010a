# Only the built-in terraform_data resource: manifests are applied with the operator's kubectl
# exactly as upstream documents (`kubectl apply -k ...?ref=<version>`), so this module needs no
# provider download and its plan is testable offline.
terraform {
  required_version = "~> 1.11"
}
