variable "region" {
  description = "AWS region of the platform."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; null uses signals.services.PROJECT (the local stack's names match then). 2-21 characters of lowercase letters, digits and hyphens (validated by module log_pipeline)."
  type        = string
  default     = null
}

variable "deploy_role_arn" {
  description = "The GitHub OIDC deploy role from infra/bootstrap (output deploy_role_arn)."
  type        = string
}

variable "admin_role_arn" {
  description = "The administrators' role: with the deploy role and the function, the only principal the data bucket and its key admit."
  type        = string
}

variable "artifacts_bucket" {
  description = "Artifacts bucket from infra/bootstrap; the build uploads the Lambda zips there under the commit SHA."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket))
    error_message = "artifacts_bucket must be a bucket name."
  }
}

variable "packages" {
  description = "Keys and object versions of function.zip, shipper.zip and notifier.zip in the artifacts bucket, from the build (`make package` + upload). Without notifier_key no chat message is sent."
  type = object({
    function_key     = string
    function_version = optional(string)
    shipper_key      = string
    shipper_version  = optional(string)
    notifier_key     = optional(string)
    notifier_version = optional(string)
  })
}

variable "function_handler" {
  description = "Handler of the API function inside function.zip."
  type        = string
  default     = "function.app.handler"
}

variable "shipper_handler" {
  description = "Handler of the shipper inside shipper.zip."
  type        = string
  default     = "log_pipeline.handler.handler"
}

variable "opensearch_network" {
  description = "Network access to the log collection. No default on purpose: public access must be chosen explicitly ({allow_public = true}; IAM and the data-access policy still apply). VPC endpoints are not supported yet (see infra/README.md)."
  type = object({
    allow_public     = bool
    vpc_endpoint_ids = optional(list(string), [])
  })
}

variable "opensearch_standby_replicas" {
  description = "Standby replicas of the log collection: ENABLED (production) or DISABLED (evaluation, half the minimum cost)."
  type        = string
  default     = "ENABLED"
}

variable "opensearch_reader_arns" {
  description = "Extra IAM principals that may read the log indices (operators); the Grafana workspace role is always a reader."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group of the platform."
  type        = number
  default     = 30
}

variable "index_retention_days" {
  description = "Retention of log indices in OpenSearch Serverless."
  type        = number
  default     = 30
}

variable "data_bucket_versioning" {
  description = "Keep object versions in the data bucket."
  type        = bool
  default     = true
}

variable "api_authorization" {
  description = "Authorization of every API route: AWS_IAM (default) or a Cognito JWT (module http_api)."
  type = object({
    type         = optional(string, "AWS_IAM")
    jwt_issuer   = optional(string)
    jwt_audience = optional(list(string), [])
  })
  default = {}
}

variable "api_throttling" {
  description = "Stage throttling (requests per second and burst)."
  type = object({
    rate_limit  = optional(number, 50)
    burst_limit = optional(number, 100)
  })
  default = {}
}

variable "function_reserved_concurrency" {
  description = "Reserved concurrency of the API function."
  type        = number
  default     = 20
}

variable "slack" {
  description = "Slack channel for alarms (team_id, channel_id) after the one-time Chatbot authorization, or null."
  type = object({
    team_id    = string
    channel_id = string
  })
  default = null
}

variable "teams" {
  description = "Microsoft Teams channel for alarms (tenant_id, team_id, channel_id), or null."
  type = object({
    tenant_id  = string
    team_id    = string
    channel_id = string
  })
  default = null
}

variable "grafana_authentication_providers" {
  description = "Sign-in for Grafana: AWS_SSO and/or SAML."
  type        = list(string)
  default     = ["AWS_SSO"]
}

variable "grafana_admin_group_ids" {
  description = "IAM Identity Center groups that administer Grafana."
  type        = list(string)
  default     = []
}

variable "grafana_viewer_group_ids" {
  description = "IAM Identity Center groups that view Grafana."
  type        = list(string)
  default     = []
}

variable "runbook_base_url" {
  description = "Base URL the catalog's runbook paths (e.g. alerts/RUNBOOK.md#slo) are appended to: the repository's blob URL, such as https://github.com/OWNER/REPO/blob/main."
  type        = string
}

variable "enable_guardduty" {
  description = "Create a GuardDuty detector (false when the organization manages it)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "The permissions boundary of every role this root creates; null uses the one infra/bootstrap creates (<prefix>-workload-boundary in this account)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM managed policy ARN or null."
  }
}

variable "api_allowed_callers" {
  description = "Who may use the API (the function enforces it on the IAM identity API Gateway verified; HTTP APIs have no resource policy): role ARNs (any session; * and ? allowed in the name), IAM user ARNs, or an AWS Organizations id. The deploy role is always added (the post-deploy smoke test)."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for caller in var.api_allowed_callers :
      can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@/*?_-]+$", caller)) || can(regex("^o-[a-z0-9]{10,32}$", caller))
    ])
    error_message = "api_allowed_callers entries must be IAM role ARNs, IAM user ARNs or an organization id (o-...)."
  }
}

variable "next_token_lifetime_seconds" {
  description = "How long the API honours a next_token after issuing it (seconds)."
  type        = number
  default     = 3600

  validation {
    condition     = var.next_token_lifetime_seconds >= 60 && var.next_token_lifetime_seconds <= 604800 && floor(var.next_token_lifetime_seconds) == var.next_token_lifetime_seconds
    error_message = "next_token_lifetime_seconds must be a whole number from 60 to 604800."
  }
}

variable "next_token_secret_version" {
  description = "Version of the paging-token signing key: change it (e.g. 1 -> 2) to have AWS generate a new key. Secrets Manager then labels the new value AWSCURRENT (new tokens) and the old one AWSPREVIOUS (still accepted for a token lifetime); wait at least next_token_lifetime_seconds between two rotations."
  type        = number
  default     = 1

  validation {
    condition     = var.next_token_secret_version >= 1 && floor(var.next_token_secret_version) == var.next_token_secret_version
    error_message = "next_token_secret_version must be a whole number >= 1."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret stays recoverable (0 deletes at once, 7-30 otherwise)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}
