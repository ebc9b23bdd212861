# Turns on SSL for an existing MySQL Plus cluster. Destroying the resource
# turns SSL off again; the cluster itself is never created or deleted.
resource "qingcloud_mysqlplus_ssl" "db" {
  cluster_id = "cl-ouhutv70"
  enabled    = true

  # Optional: the cluster's zone, when it differs from the provider's.
  # zone = "pek3a"

  timeouts {
    create = "30m"
    update = "30m"
    delete = "30m"
  }
}
