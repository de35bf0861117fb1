# One customer managed key with a policy that names every principal and service that may use it.
# The account root is deliberately NOT given kms:* : then an IAM policy elsewhere in the account
# cannot open the key, and removing a bucket policy alone does not expose data encrypted with it.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  # Manage but not use: no kms:Create* (it includes CreateGrant, a self-granted use) and no
  # usage action. PutKeyPolicy stays: it is how Terraform manages this very policy, and KMS
  # refuses a policy that would lock its creator out. So a key administrator could still rewrite
  # the policy to name itself a user: that change is a PutKeyPolicy event in CloudTrail, not a
  # silent grant (residual risk, infra/README.md).
  administration_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:PutKeyPolicy",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
  ]
  usage_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]
  log_group_arn_patterns = [
    for prefix in var.log_group_name_prefix :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${prefix}*"
  ]
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "KeyAdministration"
    effect    = "Allow"
    actions   = local.administration_actions
    resources = ["*"] # in a key policy, "*" means this key

    principals {
      type        = "AWS"
      identifiers = var.administrator_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.user_arns) > 0 ? [1] : []

    content {
      sid       = "KeyUsage"
      effect    = "Allow"
      actions   = local.usage_actions
      resources = ["*"]

      # The account as principal, narrowed to the listed ARNs: a key policy may then name roles
      # that are created after the key (the function roles), which a principal entry may not.
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = var.user_arns
      }
    }
  }

  dynamic "statement" {
    for_each = var.services.logs ? [1] : []

    content {
      sid       = "CloudWatchLogsForOurLogGroups"
      effect    = "Allow"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = local.log_group_arn_patterns
      }
    }
  }

  dynamic "statement" {
    for_each = var.services.cloudwatch ? [1] : []

    content {
      sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.services.chatbot ? [1] : []

    content {
      sid       = "ChatbotReadsEncryptedTopic"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["chatbot.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.services.aoss ? [1] : []

    content {
      sid       = "OpenSearchServerlessCollectionEncryption"
      effect    = "Allow"
      actions   = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.administrator_arns
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["aoss.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
