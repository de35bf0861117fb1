# A Python Lambda function that may list one bucket, with an extra policy known only after apply.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/function/examples/complete plan` against an account or the emulator.

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

  name               = "example-function"
  description        = "Key of the function example"
  administrator_arns = [local.admin_arn]
}

resource "aws_sqs_queue" "work" {
  name              = "example-work"
  kms_master_key_id = module.key.key_arn
}

data "aws_iam_policy_document" "extra" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.work.arn]
  }
}

module "function" {
  source = "../.."

  permissions_boundary_arn = var.permissions_boundary_arn

  function_name   = "example-function"
  handler         = "app.handler"
  data_bucket_arn = "arn:aws:s3:::example-data-${local.account_id}"
  kms_key_arn     = module.key.key_arn
  package = {
    bucket = "example-artifacts-${local.account_id}"
    key    = "lambda/0123abc/function.zip"
  }
  environment = { LOG_LEVEL = "INFO" }

  # The document names a queue created in the same apply: the flag keeps the count known at plan time.
  attach_extra_policy = true
  extra_policy_json   = data.aws_iam_policy_document.extra.json
}

output "function_name" {
  value = module.function.function_name
}
