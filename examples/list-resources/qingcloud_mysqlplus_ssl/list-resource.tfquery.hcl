# all.tfquery.hcl: lists the MySQL Plus clusters of the provider's zone whose name contains
# "orders". Run `terraform query`, or `terraform query -generate-config-out=generated.tf` to
# write a resource and an import block for each, then `terraform plan` to import them.
list "qingcloud_mysqlplus_ssl" "orders" {
  provider = qingcloud
  limit    = 500

  config {
    name   = "orders"
    status = ["active"]
    # zone = "pek3a"
  }
}
