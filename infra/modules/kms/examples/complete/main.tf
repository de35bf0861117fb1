# A customer managed key for CloudWatch Logs and an encrypted SNS topic, used by two roles.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/kms/examples/complete plan` against an account or the emulator.

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

locals {
  account_id = data.aws_caller_identity.current.account_id
  admin_arn  = "arn:aws:iam::${local.account_id}:role/Admin"
}

module "key" {
  source = "../.."

  name                  = "example-telemetry"
  description           = "Logs and alarms of the example"
  administrator_arns    = [local.admin_arn]
  user_arns             = ["arn:aws:iam::${local.account_id}:role/example-function-role"]
  log_group_name_prefix = ["/aws/lambda/example-"]
  services = {
    logs       = true
    cloudwatch = true
  }
}

output "key_arn" {
  value = module.key.key_arn
}
