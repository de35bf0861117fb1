# The alarm topic (encrypted with our key, publishable by CloudWatch, TLS only), the chat topic and
# the notifier that feeds it (notifier.tf), and the optional Chatbot Slack / Teams channels that read
# the chat topic. The alarms themselves live in ../alerting and only
# need this topic's ARN, so the rendered catalog never depends on how notifications are wired.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "OwnerManages"
    effect    = "Allow"
    actions   = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:SetTopicAttributes", "sns:Subscribe"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # The account root above only delegates to IAM policies; many principals hold broad ones. So
  # who may listen to, reconfigure or delete the topic is narrowed here to the operators (AWS
  # services acting on their own behalf, such as CloudWatch and Chatbot, are not principals of
  # the account and are left to the statements above).
  statement {
    sid    = "OnlyOperatorsSubscribeOrReconfigure"
    effect = "Deny"
    actions = [
      "sns:AddPermission",
      "sns:DeleteTopic",
      "sns:PutDataProtectionPolicy",
      "sns:RemovePermission",
      "sns:SetTopicAttributes",
      "sns:Subscribe",
    ]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = var.operator_arns
    }

    condition {
      test     = "Bool"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:*"]
    resources = [aws_sns_topic.alarms.arn]

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

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.topic.json
}

# --- Chatbot -----------------------------------------------------------------------------------

locals {
  chat_enabled = var.slack != null || var.teams != null
}

data "aws_iam_policy_document" "chatbot_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

# Chatbot may read alarms and metrics to render them, nothing more; the guardrail caps what any
# channel member can do through it at the same read-only set.
data "aws_iam_policy_document" "chatbot_read_only" {
  statement {
    sid    = "ReadAlarmsAndMetrics"
    effect = "Allow"
    actions = [
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:DescribeAlarmsForMetric",
      "cloudwatch:GetMetricData",
      "cloudwatch:GetMetricStatistics",
      "cloudwatch:ListMetrics",
    ]
    resources = ["*"] # these read-only actions have no resource-level permissions
  }
}

resource "aws_iam_role" "chatbot" {
  count = local.chat_enabled ? 1 : 0

  name                 = "${var.name_prefix}-chatbot"
  assume_role_policy   = data.aws_iam_policy_document.chatbot_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "chatbot" {
  count = local.chat_enabled ? 1 : 0

  name   = "read-only"
  role   = aws_iam_role.chatbot[0].id
  policy = data.aws_iam_policy_document.chatbot_read_only.json
}

resource "aws_iam_policy" "chatbot_guardrail" {
  count = local.chat_enabled ? 1 : 0

  name        = "${var.name_prefix}-chatbot-guardrail"
  description = "Upper bound of what any Chatbot channel of the platform can do"
  policy      = data.aws_iam_policy_document.chatbot_read_only.json
  tags        = var.tags
}

resource "aws_chatbot_slack_channel_configuration" "this" {
  count = var.slack == null ? 0 : 1

  configuration_name          = "${var.name_prefix}-alarms-slack"
  iam_role_arn                = aws_iam_role.chatbot[0].arn
  slack_team_id               = var.slack.team_id
  slack_channel_id            = var.slack.channel_id
  sns_topic_arns              = [aws_sns_topic.chat.arn]
  guardrail_policy_arns       = [aws_iam_policy.chatbot_guardrail[0].arn]
  logging_level               = var.chat_logging_level
  user_authorization_required = false
  tags                        = var.tags
}

resource "aws_chatbot_teams_channel_configuration" "this" {
  count = var.teams == null ? 0 : 1

  configuration_name          = "${var.name_prefix}-alarms-teams"
  iam_role_arn                = aws_iam_role.chatbot[0].arn
  tenant_id                   = var.teams.tenant_id
  team_id                     = var.teams.team_id
  channel_id                  = var.teams.channel_id
  sns_topic_arns              = [aws_sns_topic.chat.arn]
  guardrail_policy_arns       = [aws_iam_policy.chatbot_guardrail[0].arn]
  logging_level               = var.chat_logging_level
  user_authorization_required = false
  tags                        = var.tags
}
