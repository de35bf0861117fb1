# Amazon Managed Grafana workspace, SERVICE_MANAGED, with a workspace role that can read exactly
# CloudWatch metrics/alarms, our log groups and our collection, and publish alerts to the alarm
# topic (Grafana alerting -> SNS -> Chatbot). Dashboards are published by the
# pipeline through a service account with a short-lived token (minted per run, never stored).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["grafana.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "workspace" {
  name                 = "${var.name}-grafana"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "read" {
  statement {
    sid    = "ReadMetricsAndAlarms"
    effect = "Allow"
    actions = [
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:DescribeAlarmsForMetric",
      "cloudwatch:GetInsightRuleReport",
      "cloudwatch:GetMetricData",
      "cloudwatch:ListMetrics",
      "ec2:DescribeRegions",
      "logs:DescribeLogGroups",
      "tag:GetResources",
    ]
    resources = ["*"] # these read-only actions have no resource-level permissions
  }

  dynamic "statement" {
    for_each = length(var.log_group_arns) > 0 ? [1] : []

    content {
      sid       = "QueryOurLogGroups"
      effect    = "Allow"
      actions   = ["logs:GetLogEvents", "logs:GetLogGroupFields", "logs:StartQuery"]
      resources = concat(var.log_group_arns, [for arn in var.log_group_arns : "${arn}:*"])
    }
  }

  # Reading or stopping a query started above: these take a query id, not a log group, and
  # have no resource-level permissions.
  dynamic "statement" {
    for_each = length(var.log_group_arns) > 0 ? [1] : []

    content {
      sid       = "FollowOurQueries"
      effect    = "Allow"
      actions   = ["logs:GetQueryResults", "logs:StopQuery"]
      resources = ["*"]
    }
  }

  statement {
    sid       = "ReadOurCollection"
    effect    = "Allow"
    actions   = ["aoss:APIAccessAll", "aoss:BatchGetCollection"]
    resources = [var.collection_arn]
  }

  # Grafana alert rules notify through the alarm topic (Chatbot reads it); the topic is encrypted
  # with the telemetry key, so publishing also needs that key (the key policy admits this role).
  statement {
    sid       = "PublishAlertsToTopic"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [var.alarm_topic_arn]
  }

  statement {
    sid       = "EncryptAlertsForTopic"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = [var.alarm_topic_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${data.aws_region.current.name}.amazonaws.com"]
    }
  }

  statement {
    sid       = "FindCollections"
    effect    = "Allow"
    actions   = ["aoss:ListCollections"]
    resources = ["*"] # list actions have no resource-level permissions
  }
}

resource "aws_iam_role_policy" "read" {
  name   = "read-only"
  role   = aws_iam_role.workspace.id
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_grafana_workspace" "this" {
  name                      = var.name
  description               = "Dashboards of the observability platform"
  account_access_type       = "CURRENT_ACCOUNT"
  authentication_providers  = var.authentication_providers
  permission_type           = "SERVICE_MANAGED"
  data_sources              = ["CLOUDWATCH", "AMAZON_OPENSEARCH_SERVICE"]
  notification_destinations = ["SNS"]
  grafana_version           = var.grafana_version
  role_arn                  = aws_iam_role.workspace.arn
  tags                      = var.tags
}

resource "aws_grafana_role_association" "admins" {
  count = length(var.admin_group_ids) > 0 ? 1 : 0

  role         = "ADMIN"
  group_ids    = var.admin_group_ids
  workspace_id = aws_grafana_workspace.this.id
}

resource "aws_grafana_role_association" "viewers" {
  count = length(var.viewer_group_ids) > 0 ? 1 : 0

  role         = "VIEWER"
  group_ids    = var.viewer_group_ids
  workspace_id = aws_grafana_workspace.this.id
}

resource "aws_grafana_workspace_service_account" "publisher" {
  name         = "${var.name}-publisher"
  grafana_role = "ADMIN" # publishing creates data sources and alerting provisioning objects
  workspace_id = aws_grafana_workspace.this.id
}
