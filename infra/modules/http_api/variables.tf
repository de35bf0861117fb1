variable "name" {
  description = "Name of the HTTP API (also names its access log group)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of [a-zA-Z0-9_-]."
  }
}

variable "route_key" {
  description = "The one route, METHOD /path (signals.services.API_ROUTE_KEY through infra/live/signals.json)."
  type        = string

  validation {
    condition     = can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[A-Za-z0-9/_{}.-]*$", var.route_key))
    error_message = "route_key must be METHOD /path, for example \"GET /items\"."
  }
}

variable "function_name" {
  description = "Name of the Lambda function behind every route."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of that function."
  type        = string
}

variable "authorization" {
  description = "How callers authenticate: AWS_IAM (SigV4, the default) or JWT from a Cognito user pool (issuer URL and app client ids as audience). Every route, $default included, requires it."
  type = object({
    type         = optional(string, "AWS_IAM")
    jwt_issuer   = optional(string)
    jwt_audience = optional(list(string), [])
  })
  default = {}

  validation {
    condition     = contains(["AWS_IAM", "JWT"], var.authorization.type)
    error_message = "authorization.type must be AWS_IAM or JWT (NONE is not offered: no route without auth)."
  }

  validation {
    condition     = var.authorization.type != "JWT" || (try(startswith(var.authorization.jwt_issuer, "https://"), false) && length(var.authorization.jwt_audience) > 0)
    error_message = "JWT authorization needs jwt_issuer (https://cognito-idp.<region>.amazonaws.com/<pool id>) and at least one jwt_audience."
  }
}

variable "throttling" {
  description = "Stage throttling for every route: steady-state requests per second and burst."
  type = object({
    rate_limit  = optional(number, 50)
    burst_limit = optional(number, 100)
  })
  default = {}

  validation {
    condition     = var.throttling.rate_limit > 0 && var.throttling.burst_limit > 0
    error_message = "throttling limits must be positive (0 would reject every request)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key for the access log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the access log group in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
