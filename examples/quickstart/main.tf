# Quickstart: turn on SSL for one MySQL Plus cluster.
#
#   export QINGCLOUD_ACCESS_KEY=...   QINGCLOUD_SECRET_KEY=...   QINGCLOUD_ZONE=pek3a
#   # optional, e.g. for the local simulator: export QINGCLOUD_ENDPOINT=http://127.0.0.1:PORT/iaas/
#   terraform init && terraform apply -var cluster_id=cl-xxxxxxxx

terraform {
  required_version = ">= 1.6"

  required_providers {
    qingcloud = {
      source = "qingcloud/qingcloud"
    }
  }
}

# Everything comes from the QINGCLOUD_* environment variables.
provider "qingcloud" {}

resource "qingcloud_mysqlplus_ssl" "db" {
  cluster_id = var.cluster_id
  enabled    = var.ssl_enabled
}

output "ssl_job_id" {
  description = "The QingCloud job that last changed SSL (empty if none was needed)."
  value       = qingcloud_mysqlplus_ssl.db.job_id
}
