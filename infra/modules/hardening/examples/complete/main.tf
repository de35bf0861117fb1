# A GuardDuty detector with S3 and Lambda protection.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/hardening/examples/complete plan` against an account or the emulator.

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

module "hardening" {
  source = "../.."

  enable_guardduty            = true
  guardduty_finding_frequency = "ONE_HOUR"
}
