# A Python Lambda function with its own log group (created first, KMS-encrypted, with retention),
# X-Ray active tracing, reserved concurrency, and a role that can list the data bucket, write its
# own logs, decrypt its environment and send traces. Nothing else: any further permission comes
# through extra_policy_json.

data "aws_partition" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.function_name}-role"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

# The function's whole permission set. tests/integration/test_iam_behaviour.py reads this block,
# renders it and proves against an IAM-enforcing emulator that listing works and get/put/delete do not.
data "aws_iam_policy_document" "function" {
  dynamic "statement" {
    for_each = var.data_bucket_arn == null ? [] : [var.data_bucket_arn]

    content {
      sid       = "ListDataBucket"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # Lambda decrypts the environment with the execution role's credentials; the key policy admits
  # this role as a user too (infra/live).
  statement {
    sid       = "DecryptOwnEnvironment"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "SendTraces"
    effect    = "Allow"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"] # X-Ray has no resource-level permissions for these actions
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "function"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_iam_role_policy" "extra" {
  # A flag, not `extra_policy_json != null`: the document is usually built from ARNs that exist only
  # after apply, and a count must be known at plan time.
  count = var.attach_extra_policy ? 1 : 0

  name   = "extra"
  role   = aws_iam_role.this.id
  policy = var.extra_policy_json
}

resource "aws_lambda_function" "this" {
  function_name                  = var.function_name
  role                           = aws_iam_role.this.arn
  runtime                        = "python3.12"
  architectures                  = ["x86_64"]
  handler                        = var.handler
  s3_bucket                      = var.package.bucket
  s3_key                         = var.package.key
  s3_object_version              = var.package.object_version
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = var.log_format
    log_group  = aws_cloudwatch_log_group.this.name
  }

  environment {
    variables = var.environment
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.function]
}
