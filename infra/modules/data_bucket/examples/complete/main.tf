# A private SSE-KMS bucket that only the administrators' role may use.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/data_bucket/examples/complete plan` against an account or the emulator.

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

  name               = "example-bucket"
  description        = "Key of the bucket example"
  administrator_arns = [local.admin_arn]
}

module "bucket" {
  source = "../.."

  bucket_name            = "example-data-${local.account_id}"
  kms_key_arn            = module.key.key_arn
  versioning             = true
  expiration_days        = 90
  allowed_principal_arns = [local.admin_arn]
}

output "bucket_name" {
  value = module.bucket.bucket_name
}
