variable "region" {
  description = "AWS region of the platform."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of the platform's resource names (the deploy policy is scoped to it). Use the same value as infra/live (signals.services.PROJECT by default)."
  type        = string
  default     = "obs-platform"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 characters of lowercase letters, digits and hyphens."
  }
}

variable "github_repository" {
  description = "The GitHub repository that deploys, as owner/name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "deploy_environment" {
  description = "The GitHub environment whose jobs alone may assume the deploy role. Restrict it to the deploy branch and give it required reviewers (Settings > Environments)."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.deploy_environment))
    error_message = "deploy_environment must be one exact environment name (no wildcards)."
  }
}

variable "admin_role_arn" {
  description = "The administrators' role (the one applying this bootstrap): manages the keys and may read state."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.admin_role_arn))
    error_message = "admin_role_arn must be an IAM role ARN."
  }
}

variable "create_oidc_provider" {
  description = "Create the GitHub OIDC provider (false when the account already has one: it is unique per URL)."
  type        = bool
  default     = true
}

variable "smoke_test_api_id" {
  description = "Id of the platform's HTTP API (infra/live output api_id). When set, the deploy role may call GET on that API alone for the post-deploy smoke test; null grants no execute-api:Invoke at all."
  type        = string
  default     = null

  validation {
    condition     = var.smoke_test_api_id == null || can(regex("^[a-z0-9]{10}$", var.smoke_test_api_id))
    error_message = "smoke_test_api_id must be an API Gateway API id (10 lowercase letters and digits) or null."
  }
}
