# A Managed Grafana workspace reading CloudWatch and one OpenSearch Serverless collection.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/grafana/examples/complete plan` against an account or the emulator.

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

  name               = "example-grafana"
  description        = "Key of the grafana example"
  administrator_arns = [local.admin_arn]
}

module "grafana" {
  source = "../.."

  permissions_boundary_arn = var.permissions_boundary_arn

  name                    = "example-dashboards"
  collection_arn          = "arn:aws:aoss:eu-west-1:${local.account_id}:collection/0123456789abcdefghij"
  alarm_topic_arn         = "arn:aws:sns:eu-west-1:${local.account_id}:example-alarms"
  alarm_topic_kms_key_arn = module.key.key_arn
}

output "workspace_id" {
  value = module.grafana.workspace_id
}
