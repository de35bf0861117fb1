# The production path of chat messages: CloudWatch sends every alarm state change to EventBridge;
# a rule for this deployment's alarms invokes the notifier Lambda (notifier/), which formats the
# Chatbot custom notification (runbook, console and OpenSearch links, threadId, severity) and
# publishes it to the chat topic, the only topic Chatbot reads.
#
# One owner per symptom: chat hears about a catalog symptom only from the notifier. The alarm
# actions keep publishing CloudWatch's own JSON to the alarm topic (and Grafana's contact point
# publishes there too), but Chatbot no longer subscribes to it: it is for machine subscribers.

locals {
  notifier_enabled = var.notifier != null
  notifier_name    = "${var.name_prefix}-notifier"
}

resource "aws_sns_topic" "chat" {
  name              = "${var.name_prefix}-chat"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "chat_topic" {
  statement {
    sid       = "OwnerManages"
    effect    = "Allow"
    actions   = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:SetTopicAttributes", "sns:Subscribe"]
    resources = [aws_sns_topic.chat.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.chat.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "chat" {
  arn    = aws_sns_topic.chat.arn
  policy = data.aws_iam_policy_document.chat_topic.json
}

resource "aws_cloudwatch_log_group" "notifier" {
  count = local.notifier_enabled ? 1 : 0

  name              = "/aws/lambda/${local.notifier_name}"
  retention_in_days = var.notifier.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "notifier_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "notifier" {
  count = local.notifier_enabled ? 1 : 0

  name                 = "${local.notifier_name}-role"
  assume_role_policy   = data.aws_iam_policy_document.notifier_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "notifier" {
  count = local.notifier_enabled ? 1 : 0

  statement {
    sid       = "PublishToChat"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.chat.arn]
  }

  statement {
    sid       = "EncryptForTheChatTopic"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.notifier[0].arn}:*"]
  }

  statement {
    sid       = "SendTraces"
    effect    = "Allow"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"] # X-Ray has no resource-level permissions for these actions
  }
}

resource "aws_iam_role_policy" "notifier" {
  count = local.notifier_enabled ? 1 : 0

  name   = "notifier"
  role   = aws_iam_role.notifier[0].id
  policy = data.aws_iam_policy_document.notifier[0].json
}

resource "aws_lambda_function" "notifier" {
  count = local.notifier_enabled ? 1 : 0

  function_name     = local.notifier_name
  role              = aws_iam_role.notifier[0].arn
  runtime           = "python3.12"
  architectures     = ["x86_64"]
  handler           = "notifier.handler.handler"
  s3_bucket         = var.notifier.package.bucket
  s3_key            = var.notifier.package.key
  s3_object_version = var.notifier.package.object_version
  memory_size       = 128
  timeout           = 10
  kms_key_arn       = var.kms_key_arn
  tags              = var.tags
  # A storm of state changes must not take the account's concurrency from the API; throttled
  # invocations are retried by Lambda's asynchronous queue and EventBridge's retry policy.
  reserved_concurrent_executions = 5

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.notifier[0].name
  }

  environment {
    variables = {
      CHAT_TOPIC_ARN            = aws_sns_topic.chat.arn
      NAME_PREFIX               = var.name_prefix
      RUNBOOK_BASE_URL          = var.notifier.runbook_base_url
      OPENSEARCH_DASHBOARDS_URL = var.notifier.opensearch_dashboards_url
    }
  }

  depends_on = [aws_cloudwatch_log_group.notifier, aws_iam_role_policy.notifier]
}

resource "aws_cloudwatch_event_rule" "alarm_state_change" {
  count = local.notifier_enabled ? 1 : 0

  name        = "${var.name_prefix}-alarm-state-change"
  description = "State changes of the ${var.name_prefix} alarms, for the notifier"
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    detail = {
      alarmName = [{ prefix = "${var.name_prefix}-" }]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "notifier" {
  count = local.notifier_enabled ? 1 : 0

  rule      = aws_cloudwatch_event_rule.alarm_state_change[0].name
  target_id = "notifier"
  arn       = aws_lambda_function.notifier[0].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "events" {
  count = local.notifier_enabled ? 1 : 0

  statement_id  = "AllowAlarmStateChangeRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.notifier[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.alarm_state_change[0].arn
}
