# Turns SSL on, then creates an account that may only connect over SSL, once,
# right after SSL is on. The password comes from an ephemeral variable: it is
# never stored in the plan file or the state.
terraform {
  required_version = ">= 1.14"

  required_providers {
    qingcloud = {
      source = "qingcloud/qingcloud"
    }
  }
}

locals {
  cluster_id = "cl-ouhutv70"
}

variable "app_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "qingcloud_mysqlplus_ssl" "db" {
  cluster_id = local.cluster_id
  enabled    = true

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.qingcloud_mysqlplus_custom_service.ssl_account]
    }
  }
}

action "qingcloud_mysqlplus_custom_service" "ssl_account" {
  config {
    cluster_id = local.cluster_id
    service    = "add_user"
    params = {
      user     = "app_ssl"
      database = "orders"
      host     = "10.0.0.0/16"
      ssl      = "YES"
      priv     = "StandardAccount"
    }
    sensitive_params = {
      passwd = var.app_password
    }
  }
}
