locals {
  deploy = var.existing_server_url == null
}

# Generated here, kept only in (encrypted, remote) state: signing key for API tokens, key that
# encrypts the secrets store in the database, and the initial admin password (the chart's
# default would be a well-known one).
resource "random_password" "jwt_secret_key" {
  count   = local.deploy ? 1 : 0
  length  = 64
  special = false
}

resource "random_password" "secrets_encryption_key" {
  count   = local.deploy ? 1 : 0
  length  = 64
  special = false
}

resource "random_password" "admin" {
  count   = local.deploy ? 1 : 0
  length  = 32
  special = false
}

resource "helm_release" "zenml" {
  count = local.deploy ? 1 : 0

  name             = "zenml"
  repository       = "oci://public.ecr.aws/zenml"
  chart            = "zenml"
  version          = var.chart_version
  namespace        = var.namespace
  create_namespace = true
  wait             = true
  timeout          = var.helm_timeout_seconds
  atomic           = true

  values = [yamlencode({
    zenml = {
      analyticsOptIn  = false
      debug           = false
      deploymentType  = "kubernetes"
      defaultUsername = "admin"
      # ZenML's ServerConfiguration.server_url, read from ZENML_SERVER_* variables.
      environment  = { ZENML_SERVER_SERVER_URL = var.server_url }
      database     = { backupStrategy = "in-memory" }
      secretsStore = { enabled = true, type = "sql" }
      service      = { type = "ClusterIP", port = 80 }
      ingress = {
        enabled     = var.ingress != null
        className   = try(var.ingress.class_name, null)
        annotations = try(var.ingress.annotations, {})
        host        = try(var.ingress.host, null)
        path        = "/"
        tls = {
          enabled       = try(var.ingress.tls_secret, null) != null
          secretName    = try(var.ingress.tls_secret, null)
          generateCerts = false
        }
      }
    }
    resources = {
      requests = { cpu = var.resources.cpu_request, memory = var.resources.memory_request }
      limits   = { memory = var.resources.memory_limit }
    }
  })]

  set_sensitive = [
    { name = "zenml.database.url", value = var.database_url },
    { name = "zenml.auth.jwtSecretKey", value = random_password.jwt_secret_key[0].result },
    { name = "zenml.secretsStore.sql.encryptionKey", value = random_password.secrets_encryption_key[0].result },
    { name = "zenml.defaultPassword", value = random_password.admin[0].result },
  ]
}
