variable "function_name" {
  description = "Name of the Lambda function (also names its role and log group)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of [a-zA-Z0-9_-]."
  }
}

variable "handler" {
  description = "Python handler, module.function, inside the package."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like package.module.function."
  }
}

variable "package" {
  description = "Where the deployment package is: the artifacts bucket, the key (containing the commit SHA) and the object version, all from the build."
  type = object({
    bucket         = string
    key            = string
    object_version = optional(string)
  })

  validation {
    condition     = length(var.package.bucket) > 2 && endswith(var.package.key, ".zip")
    error_message = "package.bucket must be set and package.key must name a .zip object."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the bucket the function lists; the role gets s3:ListBucket on it and nothing else in S3. null for a function that lists nothing (the shipper)."
  type        = string
  default     = null

  validation {
    condition     = var.data_bucket_arn == null ? true : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.data_bucket_arn))
    error_message = "data_bucket_arn must be a bucket ARN (arn:aws:s3:::name), not an object ARN."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key for the log group and the function's environment variables."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "environment" {
  description = "Environment variables (names come from signals.config through infra/live/signals.json)."
  type        = map(string)
  default     = {}
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds. Keep it below the API Gateway integration timeout (30 s) for the API function."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: a ceiling that protects the account and the data store from a runaway caller."
  type        = number
  default     = 20

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1 (0 would disable the function)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_format" {
  description = "Lambda log format: Text keeps the classic START/END/REPORT platform lines the metric filters match; the shipper understands both."
  type        = string
  default     = "Text"

  validation {
    condition     = contains(["Text", "JSON"], var.log_format)
    error_message = "log_format must be Text or JSON."
  }
}

variable "attach_extra_policy" {
  description = "Attach extra_policy_json to the role. A separate flag because the document is usually built from ARNs known only after apply, and whether to create the policy must be known at plan time."
  type        = bool
  default     = false
}

variable "extra_policy_json" {
  description = "An additional IAM policy document for the role (the shipper's OpenSearch and dead-letter access, the API function's secret); used when attach_extra_policy is true."
  type        = string
  default     = null

  validation {
    condition     = !(var.attach_extra_policy && var.extra_policy_json == null)
    error_message = "extra_policy_json must be set when attach_extra_policy is true."
  }
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
