# Credentials can also come from the environment: QINGCLOUD_ACCESS_KEY,
# QINGCLOUD_SECRET_KEY, QINGCLOUD_ZONE and QINGCLOUD_ENDPOINT. Then the
# provider block may be empty.
variable "qingcloud_access_key" {
  type    = string
  default = null
}

variable "qingcloud_secret_key" {
  type      = string
  default   = null
  sensitive = true
}

provider "qingcloud" {
  access_key = var.qingcloud_access_key
  secret_key = var.qingcloud_secret_key
  zone       = "pek3a"

  # Only needed for a private deployment or a local simulator:
  # endpoint = "https://api.qingcloud.com/iaas/"
}
