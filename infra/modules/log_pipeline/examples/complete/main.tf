# CloudWatch Logs of one function shipped into an OpenSearch Serverless collection.
# Validated by `make check-infra` (terraform init + validate); plan it with
# `terraform -chdir=infra/modules/log_pipeline/examples/complete plan` against an account or the emulator.

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

  name               = "example-logs"
  description        = "Key of the logs example"
  administrator_arns = [local.admin_arn]
}

module "log_pipeline" {
  source = "../.."

  permissions_boundary_arn = var.permissions_boundary_arn

  name_prefix           = "example"
  shipper_function_name = "example-shipper"
  handler               = "log_pipeline.handler.handler"
  kms_key_arn           = module.key.key_arn
  index_prefix          = "logs"
  service_name          = "shipper"
  metrics_namespace     = "Example"
  network               = { allow_public = true }
  deployer_arns         = [local.admin_arn]
  bucket_admin_arns     = [local.admin_arn]

  package = {
    bucket = "example-artifacts-${local.account_id}"
    key    = "lambda/0123abc/shipper.zip"
  }

  environment_names = {
    opensearch_endpoint          = "OPENSEARCH_ENDPOINT"
    opensearch_auth              = "OPENSEARCH_AUTH"
    dead_letter_bucket           = "DEAD_LETTER_BUCKET"
    dead_letter_kms_key          = "DEAD_LETTER_KMS_KEY_ID"
    ship_emf                     = "SHIP_EMF"
    use_document_id              = "USE_DOCUMENT_ID"
    powertools_service_name      = "POWERTOOLS_SERVICE_NAME"
    powertools_metrics_namespace = "POWERTOOLS_METRICS_NAMESPACE"
  }

  sources = {
    function = {
      log_group_name = "/aws/lambda/example-function"
      log_group_arn  = "arn:aws:logs:eu-west-1:${local.account_id}:log-group:/aws/lambda/example-function"
    }
  }
}

output "collection_endpoint" {
  value = module.log_pipeline.collection_endpoint
}
