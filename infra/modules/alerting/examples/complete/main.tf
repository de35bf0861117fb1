# The rendered alarm catalog for an existing function, API and log pipeline.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/alerting/examples/complete plan` against an account or the emulator.

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

module "alerting" {
  source = "../.."

  name_prefix                       = "example"
  alarm_topic_arn                   = "arn:aws:sns:eu-west-1:${local.account_id}:example-alarms"
  function_name                     = "example-api"
  shipper_function_name             = "example-shipper"
  api_id                            = "a1b2c3d4e5"
  api_stage                         = "$default"
  function_log_group_name           = "/aws/lambda/example-api"
  access_log_group_name             = "/aws/apigateway/example-http-api/access"
  shipper_log_group_name            = "/aws/lambda/example-shipper"
  function_subscription_filter_name = "example-function-to-opensearch"
  access_subscription_filter_name   = "example-access-to-opensearch"
  runbook_base_url                  = "https://github.com/OWNER/REPO/blob/main"
}
