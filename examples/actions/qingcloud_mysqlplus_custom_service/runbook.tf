# A runbook: nothing runs on `terraform apply`; an operator runs
#   terraform apply -invoke=action.qingcloud_mysqlplus_custom_service.restart_proxy
# which shows the plan's restart warning, asks for approval, and then prints a
# line per change of the job.
terraform {
  required_version = ">= 1.14"

  required_providers {
    qingcloud = {
      source = "qingcloud/qingcloud"
    }
  }
}

action "qingcloud_mysqlplus_custom_service" "restart_proxy" {
  config {
    cluster_id = "cl-ouhutv70"
    service    = "restart_node"
    role       = "proxy"
    params = {
      node_id = "cln-5w3mqkcz"
    }
    timeout = "20m"
  }
}
