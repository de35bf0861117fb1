variable "name_prefix" {
  description = "Prefix of the topic, role and chat configuration names."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 characters of [a-zA-Z0-9-]."
  }
}

variable "operator_arns" {
  description = "The only principals of the account that may subscribe to, reconfigure or delete the alarm topic (the deploy and administrators' roles)."
  type        = list(string)

  validation {
    condition     = length(var.operator_arns) > 0 && alltrue([for arn in var.operator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "operator_arns must hold at least one IAM role or user ARN."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key of the topic; its policy must let cloudwatch.amazonaws.com and chatbot.amazonaws.com use it (module kms, services.cloudwatch and services.chatbot)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a customer managed KMS key ARN (the AWS managed aws/sns key does not work for alarms)."
  }
}

variable "slack" {
  description = "Slack channel for alarms, or null. The workspace must first be authorized once in the Amazon Q Developer in chat applications (Chatbot) console; team_id is the workspace id it shows."
  type = object({
    team_id    = string
    channel_id = string
  })
  default = null

  validation {
    condition     = var.slack == null ? true : can(regex("^[A-Z0-9]+$", var.slack.team_id)) && can(regex("^[A-Za-z0-9]+$", var.slack.channel_id))
    error_message = "slack.team_id (like T07EA123LEP) and slack.channel_id (like C07EZ1ABC23) must be Slack ids."
  }
}

variable "teams" {
  description = "Microsoft Teams channel for alarms, or null. Authorize the team once in the Chatbot console, then copy tenant, team and channel ids."
  type = object({
    tenant_id  = string
    team_id    = string
    channel_id = string
  })
  default = null

  validation {
    condition     = var.teams == null ? true : can(regex("^[0-9a-f-]{36}$", var.teams.tenant_id)) && can(regex("^[0-9a-f-]{36}$", var.teams.team_id))
    error_message = "teams.tenant_id and teams.team_id must be UUIDs."
  }
}

variable "chat_logging_level" {
  description = "Chatbot's own logging level."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ERROR", "INFO", "NONE"], var.chat_logging_level)
    error_message = "chat_logging_level must be ERROR, INFO or NONE."
  }
}

variable "notifier" {
  description = "The notifier Lambda (notifier.zip in the artifacts bucket) and the links it puts in chat messages; null deploys no notifier, so nothing reaches chat."
  type = object({
    package = object({
      bucket         = string
      key            = string
      object_version = optional(string)
    })
    runbook_base_url          = string
    opensearch_dashboards_url = string
    log_retention_days        = optional(number, 30)
  })
  default = null

  validation {
    condition     = var.notifier == null || (endswith(try(var.notifier.package.key, ""), ".zip") && can(regex("^https://", try(var.notifier.runbook_base_url, ""))))
    error_message = "notifier.package.key must name a .zip object and notifier.runbook_base_url must be an https URL."
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
