variable "cluster_id" {
  description = "ID of the existing MySQL Plus cluster."
  type        = string
  default     = "cl-demo0001"
}

variable "ssl_enabled" {
  description = "Whether SSL should be on."
  type        = bool
  default     = true
}
