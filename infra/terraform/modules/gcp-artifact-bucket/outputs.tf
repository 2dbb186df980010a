output "name" {
  description = "Bucket name."
  value       = google_storage_bucket.this.name
}

output "url" {
  description = "gs:// URL of the bucket (prefix of the ZenML artifact store path)."
  value       = google_storage_bucket.this.url
}
