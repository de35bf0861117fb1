# The permissions boundary of every role the pipeline creates (infra/live: the functions, Grafana,
# Chatbot). A boundary is an upper bound: a role can do only what both its own policies and this
# document allow. It holds the data-plane work the platform's roles do (list the data bucket,
# write logs and dead letters, read metrics, query the log collection, publish alarms, use keys
# through services) and nothing of IAM, STS, Organizations or any control plane. So even a role
# whose inline policy the deploy role rewrote to "Action": "*" cannot create users, change
# policies or assume other roles. The deploy role can neither change this policy nor create,
# change or keep a role without it (deploy_policy.tf).

locals {
  boundary_name = "${var.name_prefix}-workload-boundary"
  boundary_arn  = "arn:${local.partition}:iam::${local.account_id}:policy/${local.boundary_name}"
  # infra/live's paging-token secret (the only secret the platform has)
  token_secret_arn = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${var.name_prefix}-next-token-secret-??????"
  platform_logs = [
    "${local.logs_arn}:/aws/lambda/${local.prefix_glob}",
    "${local.logs_arn}:/aws/lambda/${local.prefix_glob}:*",
    "${local.logs_arn}:/aws/apigateway/${local.prefix_glob}",
    "${local.logs_arn}:/aws/apigateway/${local.prefix_glob}:*",
  ]
}

data "aws_iam_policy_document" "workload_boundary" {
  statement {
    sid       = "PlatformBuckets"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.prefix_glob}", "arn:${local.partition}:s3:::${local.prefix_glob}/*"]
  }

  statement {
    sid       = "PlatformLogGroups"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:GetLogEvents", "logs:GetLogGroupFields", "logs:PutLogEvents", "logs:StartQuery"]
    resources = local.platform_logs
  }

  statement {
    sid    = "ReadTelemetry"
    effect = "Allow"
    actions = [
      "aoss:ListCollections",
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:DescribeAlarmsForMetric",
      "cloudwatch:GetInsightRuleReport",
      "cloudwatch:GetMetricData",
      "cloudwatch:GetMetricStatistics",
      "cloudwatch:ListMetrics",
      "ec2:DescribeRegions",
      "logs:DescribeLogGroups",
      "logs:GetQueryResults",
      "logs:StopQuery",
      "tag:GetResources",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"] # read and trace actions without resource-level permissions
  }

  statement {
    sid       = "PlatformCollection"
    effect    = "Allow"
    actions   = ["aoss:APIAccessAll", "aoss:BatchGetCollection"]
    resources = ["arn:${local.partition}:aoss:${local.region}:${local.account_id}:collection/*"]
  }

  statement {
    sid       = "PlatformTopics"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.prefix_glob}"]
  }

  # The function reads the paging-token key (infra/live: <prefix>-next-token-secret) at cold start.
  # The six characters after the name are the suffix Secrets Manager appends to every secret ARN.
  statement {
    sid       = "ReadTokenSecret"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.token_secret_arn]
  }

  # Keys are named by their alias; an alias on a key needs kms:CreateAlias on that key, which
  # only its administrators have, so this cannot be widened by tagging or aliasing someone else's key.
  statement {
    sid       = "PlatformKeys"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]

    condition {
      test     = "ForAnyValue:StringLike"
      variable = "kms:ResourceAliases"
      values   = ["alias/${local.prefix_glob}"]
    }
  }
}

resource "aws_iam_policy" "workload_boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of every role the ${var.name_prefix} pipeline creates"
  policy      = data.aws_iam_policy_document.workload_boundary.json
}
