# Deliberately provider-free: only built-in functions, so `terraform init -backend=false`
# and `terraform test` run offline, and the same rendering feeds both the zenml-stack module
# (official provider) and `zenml stack import` (no provider at all).
terraform {
  required_version = "~> 1.11"
}
