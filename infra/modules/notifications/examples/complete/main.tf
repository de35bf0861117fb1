# The encrypted alarm topic, without chat channels (set slack or teams to add one).
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/notifications/examples/complete plan` against an account or the emulator.

terraform {
  required_version = ">= 1.11, < 2.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles the example creates (infra/bootstrap's <prefix>-workload-boundary where the deploy role applies it)."
  type        = string
  default     = null
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  admin_arn  = "arn:aws:iam::${local.account_id}:role/Admin"
}

module "key" {
  source = "../../../kms"

  name               = "example-alarms"
  description        = "Key of the alarms example"
  administrator_arns = [local.admin_arn]
}

module "notifications" {
  source = "../.."

  permissions_boundary_arn = var.permissions_boundary_arn

  name_prefix   = "example"
  kms_key_arn   = module.key.key_arn
  operator_arns = [local.admin_arn]
}

output "alarm_topic_arn" {
  value = module.notifications.alarm_topic_arn
}
