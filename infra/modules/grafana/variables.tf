variable "name" {
  description = "Name of the workspace (also names its role)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-._~]{1,255}$", var.name))
    error_message = "name must be 1-255 characters of [a-zA-Z0-9-._~]."
  }
}

variable "authentication_providers" {
  description = "How people sign in: AWS_SSO (IAM Identity Center, must be enabled in the account) and/or SAML (then configure the IdP with aws_grafana_workspace_saml_configuration)."
  type        = list(string)
  default     = ["AWS_SSO"]

  validation {
    condition     = length(var.authentication_providers) > 0 && alltrue([for p in var.authentication_providers : contains(["AWS_SSO", "SAML"], p)])
    error_message = "authentication_providers must be a non-empty subset of [AWS_SSO, SAML]."
  }
}

variable "grafana_version" {
  description = "Grafana version of the workspace. The alert rules route themselves to the SNS contact point (notification_settings, simplified routing), which is GA from Grafana 11."
  type        = string
  default     = "12.4"

  validation {
    condition     = contains(["12.4"], var.grafana_version)
    error_message = "grafana_version must be 12.4: the alert rules use simplified routing (GA from Grafana 11), and Amazon Managed Grafana offers 9.4, 10.4 and 12.4."
  }
}

variable "collection_arn" {
  description = "ARN of the OpenSearch Serverless collection the workspace reads."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:aoss:", var.collection_arn))
    error_message = "collection_arn must be an OpenSearch Serverless collection ARN."
  }
}

variable "log_group_arns" {
  description = "Log groups the workspace may query with CloudWatch Logs Insights."
  type        = list(string)
  default     = []
}

variable "admin_group_ids" {
  description = "IAM Identity Center group ids that get the Grafana ADMIN role."
  type        = list(string)
  default     = []
}

variable "viewer_group_ids" {
  description = "IAM Identity Center group ids that get the Grafana VIEWER role."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}

variable "alarm_topic_arn" {
  description = "SNS topic Grafana alert rules notify (the platform's alarm topic, read by Chatbot)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_topic_kms_key_arn" {
  description = "KMS key that encrypts the alarm topic; the workspace role may use it only through SNS."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.alarm_topic_kms_key_arn))
    error_message = "alarm_topic_kms_key_arn must be a KMS key ARN."
  }
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
