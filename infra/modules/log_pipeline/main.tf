# CloudWatch Logs -> subscription filters -> shipper Lambda -> OpenSearch Serverless (TIMESERIES).
# Failed asynchronous invocations land in the dead-letter bucket (on-failure destination) after
# Lambda's two retries; the shipper also writes documents it could not index there itself.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id      = data.aws_caller_identity.current.account_id
  region          = data.aws_region.current.name
  collection_name = "${var.name_prefix}-logs"
  index_resource  = "index/${local.collection_name}/${var.index_prefix}-*"
  filter_names    = { for key, _ in var.sources : key => "${var.name_prefix}-${key}-to-opensearch" }
  network_rules = [
    { ResourceType = "collection", Resource = ["collection/${local.collection_name}"] },
    { ResourceType = "dashboard", Resource = ["collection/${local.collection_name}"] },
  ]
}

module "dead_letters" {
  source = "../data_bucket"

  bucket_name            = "${var.name_prefix}-dead-letters-${local.account_id}"
  kms_key_arn            = var.kms_key_arn
  versioning             = true
  expiration_days        = var.dead_letter_expiration_days
  allowed_principal_arns = distinct(concat(var.bucket_admin_arns, ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:role/${var.shipper_function_name}-role"]))
  tags                   = var.tags
}

# --- OpenSearch Serverless -------------------------------------------------------------------

resource "aws_opensearchserverless_security_policy" "encryption" {
  name        = "${local.collection_name}-enc"
  type        = "encryption"
  description = "Encrypt the log collection with our customer managed key"
  policy = jsonencode({
    Rules       = [{ ResourceType = "collection", Resource = ["collection/${local.collection_name}"] }]
    AWSOwnedKey = false
    KmsARN      = var.kms_key_arn
  })
}

resource "aws_opensearchserverless_collection" "this" {
  name             = local.collection_name
  type             = "TIMESERIES"
  standby_replicas = var.standby_replicas
  description      = "Logs shipped from CloudWatch Logs"
  tags             = var.tags

  depends_on = [aws_opensearchserverless_security_policy.encryption]
}

# The private branch (SourceVPCEs) is kept for when the shipper, Grafana and the template step
# can run in the VPC; until then var.network's validation rejects it (see variables.tf).
resource "aws_opensearchserverless_security_policy" "network" {
  name        = "${local.collection_name}-net"
  type        = "network"
  description = "Who can reach the collection endpoint and its dashboards"
  policy = var.network.allow_public ? jsonencode([{
    Rules           = local.network_rules
    AllowFromPublic = var.network.allow_public
    }]) : jsonencode([{
    Rules           = local.network_rules
    AllowFromPublic = false
    SourceVPCEs     = var.network.vpc_endpoint_ids
  }])

  depends_on = [aws_opensearchserverless_collection.this]
}

resource "aws_opensearchserverless_access_policy" "data" {
  name        = "${local.collection_name}-data"
  type        = "data"
  description = "Shipper writes only its indices; readers only read; the deployer manages templates"
  policy = jsonencode(concat(
    [{
      Description = "shipper"
      Principal   = [module.shipper.role_arn]
      Rules = [{
        ResourceType = "index"
        Resource     = [local.index_resource]
        Permission   = ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:WriteDocument"]
      }]
    }],
    [{
      Description = "deployer"
      Principal   = var.deployer_arns
      Rules = [
        {
          ResourceType = "collection"
          Resource     = ["collection/${local.collection_name}"]
          Permission   = ["aoss:CreateCollectionItems", "aoss:DescribeCollectionItems", "aoss:UpdateCollectionItems"]
        },
        {
          ResourceType = "index"
          Resource     = [local.index_resource]
          Permission   = ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:UpdateIndex"]
        },
      ]
    }],
    length(var.reader_arns) == 0 ? [] : [{
      Description = "readers"
      Principal   = var.reader_arns
      Rules = [
        {
          ResourceType = "collection"
          Resource     = ["collection/${local.collection_name}"]
          Permission   = ["aoss:DescribeCollectionItems"]
        },
        {
          ResourceType = "index"
          Resource     = [local.index_resource]
          Permission   = ["aoss:DescribeIndex", "aoss:ReadDocument"]
        },
      ]
    }],
  ))
}

resource "aws_opensearchserverless_lifecycle_policy" "retention" {
  name        = "${local.collection_name}-ret"
  type        = "retention"
  description = "Delete log indices after the retention period"
  policy = jsonencode({
    Rules = [{
      ResourceType      = "index"
      Resource          = ["index/${local.collection_name}/*"]
      MinIndexRetention = "${var.retention_days}d"
    }]
  })
}

# --- The shipper -----------------------------------------------------------------------------

data "aws_iam_policy_document" "shipper" {
  statement {
    sid       = "OpenSearchDataPlane"
    effect    = "Allow"
    actions   = ["aoss:APIAccessAll"]
    resources = [aws_opensearchserverless_collection.this.arn]
  }

  statement {
    sid       = "WriteDeadLetters"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${module.dead_letters.bucket_arn}/*"]
  }

  statement {
    sid       = "EncryptDeadLetters"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

module "shipper" {
  source = "../function"

  function_name        = var.shipper_function_name
  handler              = var.handler
  package              = var.package
  kms_key_arn          = var.kms_key_arn
  timeout              = 60
  memory_size          = 512
  reserved_concurrency = var.reserved_concurrency
  log_retention_days   = var.log_retention_days
  attach_extra_policy  = true
  extra_policy_json    = data.aws_iam_policy_document.shipper.json
  tags                 = var.tags

  permissions_boundary_arn = var.permissions_boundary_arn

  environment = {
    (var.environment_names.opensearch_endpoint)          = aws_opensearchserverless_collection.this.collection_endpoint
    (var.environment_names.opensearch_auth)              = "aoss"
    (var.environment_names.dead_letter_bucket)           = module.dead_letters.bucket_name
    (var.environment_names.dead_letter_kms_key)          = var.kms_key_arn
    (var.environment_names.ship_emf)                     = var.ship_emf ? "true" : "false"
    (var.environment_names.use_document_id)              = "false" # TIMESERIES rejects client-supplied _id
    (var.environment_names.powertools_service_name)      = var.service_name
    (var.environment_names.powertools_metrics_namespace) = var.metrics_namespace
  }
}

resource "aws_lambda_function_event_invoke_config" "shipper" {
  function_name                = module.shipper.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = module.dead_letters.bucket_arn
    }
  }
}

# --- Subscriptions ---------------------------------------------------------------------------

resource "aws_lambda_permission" "logs" {
  for_each = var.sources

  statement_id   = "AllowCloudWatchLogs-${each.key}"
  action         = "lambda:InvokeFunction"
  function_name  = module.shipper.function_name
  principal      = "logs.amazonaws.com"
  source_arn     = "${each.value.log_group_arn}:*"
  source_account = local.account_id
}

resource "aws_cloudwatch_log_subscription_filter" "this" {
  for_each = var.sources

  name            = local.filter_names[each.key]
  log_group_name  = each.value.log_group_name
  filter_pattern  = ""
  destination_arn = module.shipper.function_arn

  depends_on = [aws_lambda_permission.logs]
}
