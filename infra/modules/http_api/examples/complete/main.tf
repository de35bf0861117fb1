# An HTTP API whose every route requires SigV4 (AWS_IAM), in front of an existing function.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/http_api/examples/complete plan` against an account or the emulator.

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
  source = "../../../kms"

  name               = "example-api"
  description        = "Key of the api example"
  administrator_arns = [local.admin_arn]
}

module "api" {
  source = "../.."

  name                = "example-http-api"
  route_key           = "GET /items"
  function_name       = "example-function"
  function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:${local.account_id}:function:example-function/invocations"
  kms_key_arn         = module.key.key_arn
  throttling          = { rate_limit = 10, burst_limit = 20 }
}

output "api_endpoint" {
  value = module.api.api_endpoint
}
