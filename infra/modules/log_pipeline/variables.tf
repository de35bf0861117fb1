variable "name_prefix" {
  description = "Prefix for every name in the pipeline (signals.services.PROJECT by default)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 characters of lowercase letters, digits and hyphens (collection names are at most 32 characters)."
  }
}

variable "shipper_function_name" {
  description = "Name of the shipper Lambda (prefix plus signals.services.SHIPPER_SERVICE)."
  type        = string
}

variable "handler" {
  description = "The shipper's Python handler inside shipper.zip."
  type        = string
}

variable "package" {
  description = "Artifacts bucket, key and object version of shipper.zip, from the build."
  type = object({
    bucket         = string
    key            = string
    object_version = optional(string)
  })
}

variable "kms_key_arn" {
  description = "Customer managed key for the shipper's log group and environment, the dead-letter bucket and the collection."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "sources" {
  description = "Log groups to ship, by a short stable key: the subscription filter's name and the Lambda permission (scoped to that log group's ARN) derive from the key."
  type = map(object({
    log_group_name = string
    log_group_arn  = string
  }))

  validation {
    condition     = length(var.sources) > 0 && alltrue([for s in values(var.sources) : can(regex("^arn:aws[a-z-]*:logs:", s.log_group_arn))])
    error_message = "sources must name at least one log group, each with its log group ARN."
  }
}

variable "index_prefix" {
  description = "Prefix of every index the shipper writes (signals.logs.INDEX_PREFIX); the data-access policy lets the shipper write only these."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.index_prefix))
    error_message = "index_prefix must be lowercase letters, digits and hyphens."
  }
}

variable "environment_names" {
  description = "Names of the shipper's environment variables, from signals.config (infra/live/signals.json)."
  type = object({
    opensearch_endpoint          = string
    opensearch_auth              = string
    dead_letter_bucket           = string
    dead_letter_kms_key          = string
    ship_emf                     = string
    use_document_id              = string
    powertools_service_name      = string
    powertools_metrics_namespace = string
  })
}

variable "service_name" {
  description = "Powertools service name of the shipper (signals.services.SHIPPER_SERVICE)."
  type        = string
}

variable "metrics_namespace" {
  description = "EMF namespace (signals.metrics.NAMESPACE)."
  type        = string
}

variable "ship_emf" {
  description = "Also index EMF lines in OpenSearch (they are already metrics in CloudWatch; shipping them doubles their cost)."
  type        = bool
  default     = false
}

variable "network" {
  description = "Network access to the collection and its dashboards. Public access must be chosen explicitly; VPC endpoints (allow_public = false) are rejected until the shipper, Grafana and the template step run in the VPC."
  type = object({
    allow_public     = bool
    vpc_endpoint_ids = optional(list(string), [])
  })

  validation {
    condition     = var.network.allow_public
    error_message = "network: allow_public = false (VPC endpoints) is not supported yet: the shipper Lambda has no vpc_config, the Grafana workspace no vpc_configuration and the CI runner that applies the index templates is outside the VPC, so nothing could reach the collection. Set allow_public = true: public network access is still protected by IAM (SigV4) and the collection's data-access policy."
  }
}

variable "standby_replicas" {
  description = "ENABLED keeps a standby in a second AZ (production); DISABLED halves the minimum OCUs (evaluation)."
  type        = string
  default     = "ENABLED"

  validation {
    condition     = contains(["ENABLED", "DISABLED"], var.standby_replicas)
    error_message = "standby_replicas must be ENABLED or DISABLED."
  }
}

variable "reader_arns" {
  description = "IAM principals that may read (never write) the log indices: the Grafana workspace role, operators."
  type        = list(string)
  default     = []
}

variable "deployer_arns" {
  description = "IAM principals that apply index templates (the deploy role): they manage templates and indices but do not write documents."
  type        = list(string)

  validation {
    condition     = length(var.deployer_arns) > 0
    error_message = "deployer_arns must name the deploy role, or no one can apply the index templates."
  }
}

variable "bucket_admin_arns" {
  description = "Principals besides the shipper allowed by the dead-letter bucket policy (deploy role, administrators)."
  type        = list(string)
}

variable "retention_days" {
  description = "Minimum retention of log indices in days (lifecycle policy; 1 to 3650)."
  type        = number
  default     = 30

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650
    error_message = "retention_days must be between 1 and 3650."
  }
}

variable "dead_letter_expiration_days" {
  description = "Days dead letters are kept before they expire."
  type        = number
  default     = 30

  validation {
    condition     = var.dead_letter_expiration_days >= 1
    error_message = "dead_letter_expiration_days must be at least 1."
  }
}

variable "log_retention_days" {
  description = "Retention of the shipper's own log group."
  type        = number
  default     = 30
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the shipper: bounds the write rate into the collection."
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "ARN of the permissions boundary put on every IAM role this module creates (infra/bootstrap creates <prefix>-workload-boundary; the deploy role can create roles only with it). null creates roles without one (local use only)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM managed policy ARN or null."
  }
}
