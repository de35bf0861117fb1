variable "name" {
  description = "Alias name of the key, without the `alias/` prefix (for example `obs-platform-logs`)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,200}$", var.name)) && !startswith(var.name, "aws/")
    error_message = "name must be 1-200 characters of [a-zA-Z0-9/_-] and must not start with aws/."
  }
}

variable "description" {
  description = "What the key protects; shown in the KMS console."
  type        = string
}

variable "administrator_arns" {
  description = "IAM principals that may manage (but not use) the key: the deploy role and the administrators' role."
  type        = list(string)

  validation {
    condition     = length(var.administrator_arns) > 0 && alltrue([for arn in var.administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "administrator_arns must hold at least one IAM role or user ARN (a key without an administrator cannot be managed)."
  }
}

variable "user_arns" {
  description = "IAM principals that may encrypt and decrypt with the key. Nobody else in the account can, whatever their IAM policies say."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.user_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "user_arns must be IAM role or user ARNs."
  }
}

variable "services" {
  description = "AWS services allowed to use the key on this account's behalf. Each grant is limited to this account (and, for CloudWatch Logs, to log groups under the name prefix)."
  type = object({
    logs       = optional(bool, false)
    cloudwatch = optional(bool, false)
    chatbot    = optional(bool, false)
    aoss       = optional(bool, false)
  })
  default = {}
}

variable "log_group_name_prefix" {
  description = "CloudWatch Logs may use the key only for log groups whose name starts with one of these prefixes (encryption-context condition)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.log_group_name_prefix : startswith(p, "/")])
    error_message = "log_group_name_prefix entries are log group name prefixes and start with /."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
