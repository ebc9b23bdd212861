# Reads whether SSL is on for a MySQL Plus cluster, without managing it.
data "qingcloud_mysqlplus_ssl" "orders" {
  cluster_id = "cl-ouhutv70"

  # Optional: the cluster's zone, when it differs from the provider's.
  # zone = "pek3a"
}

output "orders_ssl" {
  value = data.qingcloud_mysqlplus_ssl.orders.enabled
}

# Warns in every plan while a switch is in progress: the setting is about to change.
check "orders_ssl_is_settled" {
  assert {
    condition     = !data.qingcloud_mysqlplus_ssl.orders.switching
    error_message = "A configuring_SSL job is running on cl-ouhutv70."
  }
}
