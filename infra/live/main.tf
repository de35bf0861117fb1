# The platform, composed of the modules. Names owned by signals/ arrive through signals.json
# (rendered by tools.terraform); nothing here retypes them.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  signals       = jsondecode(file("${path.module}/signals.json"))
  prefix        = coalesce(var.name_prefix, local.signals.project)
  account_id    = data.aws_caller_identity.current.account_id
  partition     = data.aws_partition.current.partition
  function_name = "${local.prefix}-${local.signals.api_service}"
  shipper_name  = "${local.prefix}-${local.signals.shipper_service}"
  # Role names are fixed by module function ("<function name>-role"), so the keys and buckets can
  # admit them before they exist.
  function_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.function_name}-role"
  shipper_role_arn  = "arn:${local.partition}:iam::${local.account_id}:role/${local.shipper_name}-role"
  # The notifier (module notifications) publishes to the chat topic, encrypted with the telemetry key.
  notifier_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.prefix}-notifier-role"
  operators         = distinct([var.deploy_role_arn, var.admin_role_arn])
  # Every role created here carries the boundary infra/bootstrap manages (boundary.tf); the
  # deploy role may create roles only with it.
  permissions_boundary_arn = coalesce(var.permissions_boundary_arn, "arn:${local.partition}:iam::${local.account_id}:policy/${local.prefix}-workload-boundary")
  # The deploy role may use only KMS keys tagged project = <prefix> (infra/bootstrap).
  tags = merge(var.tags, { project = local.prefix, managed-by = "terraform" })
}

module "telemetry_key" {
  source = "../modules/kms"

  name               = "${local.prefix}-telemetry"
  description        = "Logs, alarm topic, log collection, dead letters and Lambda environments of ${local.prefix}"
  administrator_arns = local.operators
  # The functions decrypt their environments with it; Grafana encrypts alerts for the alarm topic,
  # the notifier chat messages for the chat topic.
  user_arns             = concat(local.operators, [local.function_role_arn, local.shipper_role_arn, local.notifier_role_arn, module.grafana.workspace_role_arn])
  log_group_name_prefix = ["/aws/lambda/${local.prefix}-", "/aws/apigateway/${local.prefix}-"]
  services = {
    logs       = true
    cloudwatch = true
    chatbot    = true
    aoss       = true
  }
}

module "data_key" {
  source = "../modules/kms"

  name               = "${local.prefix}-data"
  description        = "The data bucket of ${local.prefix}: usable by the function and the administrators only"
  administrator_arns = local.operators
  # Not the deploy role: it manages the key (and the bucket) but never reads the data.
  user_arns = [var.admin_role_arn, local.function_role_arn]
}

module "data_bucket" {
  source = "../modules/data_bucket"

  bucket_name            = "${local.prefix}-data-${local.account_id}"
  kms_key_arn            = module.data_key.key_arn
  versioning             = var.data_bucket_versioning
  allowed_principal_arns = concat(local.operators, [local.function_role_arn])
}

# The key that signs paging tokens. AWS generates it (an ephemeral resource: opened at plan and
# apply, never stored) and it reaches Secrets Manager through a write-only attribute, so the value
# is in neither the plan, the state nor the function's environment. It is written only when
# next_token_secret_version changes: bump that variable to rotate it (Secrets Manager moves the
# AWSCURRENT label to the new value and AWSPREVIOUS to the old one). The function gets the
# secret's ARN and reads both labels once per cold start (function/secrets.py); its role already
# holds kms:Decrypt on the telemetry key (module function), which Secrets Manager uses for it.
ephemeral "aws_secretsmanager_random_password" "next_token_secret" {
  password_length     = 48
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "next_token" {
  name                    = "${local.prefix}-next-token-secret"
  description             = "HMAC key of the paging tokens of ${local.function_name}"
  kms_key_id              = module.telemetry_key.key_arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "next_token" {
  secret_id                = aws_secretsmanager_secret.next_token.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.next_token_secret.random_password
  secret_string_wo_version = var.next_token_secret_version
}

data "aws_iam_policy_document" "function_secret" {
  statement {
    sid       = "ReadNextTokenSecret"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.next_token.arn]
  }
}

locals {
  # Who the function admits; the deploy role too, for its post-deploy smoke test (one key).
  api_allowed_callers = join(",", distinct(concat([var.deploy_role_arn], var.api_allowed_callers)))
}

module "function" {
  source = "../modules/function"

  function_name        = local.function_name
  handler              = var.function_handler
  data_bucket_arn      = module.data_bucket.bucket_arn
  kms_key_arn          = module.telemetry_key.key_arn
  reserved_concurrency = var.function_reserved_concurrency
  log_retention_days   = var.log_retention_days
  attach_extra_policy  = true
  extra_policy_json    = data.aws_iam_policy_document.function_secret.json

  permissions_boundary_arn = local.permissions_boundary_arn

  package = {
    bucket         = var.artifacts_bucket
    key            = var.packages.function_key
    object_version = var.packages.function_version
  }

  environment = {
    (local.signals.env.bucket_name)                  = module.data_bucket.bucket_name
    (local.signals.env.token_secret_arn)             = aws_secretsmanager_secret.next_token.arn
    (local.signals.env.token_lifetime)               = tostring(var.next_token_lifetime_seconds)
    (local.signals.env.allowed_callers)              = local.api_allowed_callers
    (local.signals.env.powertools_service_name)      = local.signals.api_service
    (local.signals.env.powertools_metrics_namespace) = local.signals.metric_namespace
    (local.signals.env.log_level)                    = "INFO"
  }
}

module "http_api" {
  source = "../modules/http_api"

  name                = "${local.prefix}-http-api"
  route_key           = local.signals.api_route_key
  function_name       = module.function.function_name
  function_invoke_arn = module.function.invoke_arn
  authorization       = var.api_authorization
  throttling          = var.api_throttling
  kms_key_arn         = module.telemetry_key.key_arn
  log_retention_days  = var.log_retention_days
}

module "grafana" {
  source = "../modules/grafana"

  name                     = "${local.prefix}-dashboards"
  authentication_providers = var.grafana_authentication_providers
  collection_arn           = module.log_pipeline.collection_arn
  log_group_arns           = [module.function.log_group_arn, module.http_api.access_log_group_arn]
  admin_group_ids          = var.grafana_admin_group_ids
  viewer_group_ids         = var.grafana_viewer_group_ids
  alarm_topic_arn          = module.notifications.alarm_topic_arn
  alarm_topic_kms_key_arn  = module.telemetry_key.key_arn
  permissions_boundary_arn = local.permissions_boundary_arn
}

module "log_pipeline" {
  source = "../modules/log_pipeline"

  name_prefix           = local.prefix
  shipper_function_name = local.shipper_name
  handler               = var.shipper_handler
  kms_key_arn           = module.telemetry_key.key_arn
  index_prefix          = local.signals.index_prefix
  service_name          = local.signals.shipper_service
  metrics_namespace     = local.signals.metric_namespace
  network               = var.opensearch_network
  standby_replicas      = var.opensearch_standby_replicas
  deployer_arns         = [var.deploy_role_arn]
  reader_arns           = concat([module.grafana.workspace_role_arn, var.admin_role_arn], var.opensearch_reader_arns)
  bucket_admin_arns     = local.operators
  retention_days        = var.index_retention_days
  log_retention_days    = var.log_retention_days

  permissions_boundary_arn = local.permissions_boundary_arn

  package = {
    bucket         = var.artifacts_bucket
    key            = var.packages.shipper_key
    object_version = var.packages.shipper_version
  }

  environment_names = {
    opensearch_endpoint          = local.signals.env.opensearch_endpoint
    opensearch_auth              = local.signals.env.opensearch_auth
    dead_letter_bucket           = local.signals.env.dead_letter_bucket
    dead_letter_kms_key          = local.signals.env.dead_letter_kms_key
    ship_emf                     = local.signals.env.ship_emf
    use_document_id              = local.signals.env.use_document_id
    powertools_service_name      = local.signals.env.powertools_service_name
    powertools_metrics_namespace = local.signals.env.powertools_metrics_namespace
  }

  sources = {
    function = {
      log_group_name = module.function.log_group_name
      log_group_arn  = module.function.log_group_arn
    }
    access = {
      log_group_name = module.http_api.access_log_group_name
      log_group_arn  = module.http_api.access_log_group_arn
    }
  }
}

module "notifications" {
  source = "../modules/notifications"

  name_prefix   = local.prefix
  kms_key_arn   = module.telemetry_key.key_arn
  operator_arns = local.operators
  slack         = var.slack
  teams         = var.teams

  permissions_boundary_arn = local.permissions_boundary_arn

  # EventBridge alarm state changes -> notifier Lambda -> chat topic (Chatbot); no notifier.zip, no chat.
  notifier = var.packages.notifier_key == null ? null : {
    package = {
      bucket         = var.artifacts_bucket
      key            = var.packages.notifier_key
      object_version = var.packages.notifier_version
    }
    runbook_base_url          = var.runbook_base_url
    opensearch_dashboards_url = module.log_pipeline.dashboard_endpoint
    log_retention_days        = var.log_retention_days
  }
}

module "alerting" {
  source = "../modules/alerting"

  name_prefix                       = local.prefix
  alarm_topic_arn                   = module.notifications.alarm_topic_arn
  function_name                     = module.function.function_name
  shipper_function_name             = module.log_pipeline.shipper_function_name
  api_id                            = module.http_api.api_id
  api_stage                         = module.http_api.stage_name
  function_log_group_name           = module.function.log_group_name
  access_log_group_name             = module.http_api.access_log_group_name
  shipper_log_group_name            = module.log_pipeline.shipper_log_group_name
  function_subscription_filter_name = module.log_pipeline.subscription_filter_names["function"]
  access_subscription_filter_name   = module.log_pipeline.subscription_filter_names["access"]
  runbook_base_url                  = var.runbook_base_url
}

module "hardening" {
  source = "../modules/hardening"

  enable_guardduty = var.enable_guardduty
}
