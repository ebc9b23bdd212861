# Import by cluster id (the cluster is looked up in the provider's zone):
terraform import qingcloud_mysqlplus_ssl.db cl-ouhutv70

# Or by zone and cluster id:
terraform import qingcloud_mysqlplus_ssl.db pek3a/cl-ouhutv70
