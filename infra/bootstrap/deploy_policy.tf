# Least-privilege deploy policy: what `terraform apply` of infra/live and the deploy steps need,
# scoped to resources named with the prefix wherever the service supports resource-level
# permissions. No "*" action and no "<service>:*" anywhere.

data "aws_region" "current" {}

locals {
  region       = data.aws_region.current.name
  prefix_glob  = "${var.name_prefix}-*"
  lambda_arn   = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.prefix_glob}"
  logs_arn     = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"
  prefix_roles = "arn:${local.partition}:iam::${local.account_id}:role/${local.prefix_glob}"
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "TerraformStateList"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [module.state_bucket.bucket_arn, module.artifacts_bucket.bucket_arn]
  }

  statement {
    sid       = "TerraformStateAndLockFiles"
    effect    = "Allow"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${module.state_bucket.bucket_arn}/*"]
  }

  statement {
    sid       = "LambdaArtifacts"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${module.artifacts_bucket.bucket_arn}/*"]
  }

  statement {
    sid    = "ManagePlatformBuckets"
    effect = "Allow"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "s3:PutBucket*",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::${local.prefix_glob}"]
  }

  # CreateKey has no resource-level permissions; with tags (default_tags) it also needs
  # kms:TagResource, evaluated before the key exists. Both only for keys tagged as ours. The tag
  # keys are not pinned: operators add their own through var.tags.
  statement {
    sid       = "CreateTaggedKeys"
    effect    = "Allow"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid       = "ListKeyAliases"
    effect    = "Allow"
    actions   = ["kms:ListAliases"]
    resources = ["*"] # ListAliases has no resource-level permissions
  }

  # Managing the platform's keys needs no IAM permission: their key policies name this role as an
  # administrator. Using them does (key usage is granted to the account, narrowed by principal),
  # and only on keys tagged with the prefix, so other teams' keys stay out of reach.
  statement {
    sid    = "UsePlatformKeys"
    effect = "Allow"
    actions = [
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
    ]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid       = "NamePlatformKeys"
    effect    = "Allow"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:alias/${local.prefix_glob}"]
  }

  statement {
    sid    = "ManagePlatformRoles"
    effect = "Allow"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:CreateRole",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListPolicyVersions",
      "iam:ListRolePolicies",
      "iam:PutRolePolicy",
      "iam:TagPolicy",
      "iam:TagRole",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = [
      local.prefix_roles,
      "arn:${local.partition}:iam::${local.account_id}:policy/${local.prefix_glob}",
    ]
  }

  statement {
    sid       = "PassPlatformRoles"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [local.prefix_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["chatbot.amazonaws.com", "grafana.amazonaws.com", "lambda.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    effect    = "Allow"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["guardduty.amazonaws.com", "malware-protection.guardduty.amazonaws.com", "observability.aoss.amazonaws.com"]
    }
  }

  statement {
    sid    = "ManagePlatformFunctions"
    effect = "Allow"
    actions = [
      "lambda:AddPermission",
      "lambda:CreateFunction",
      "lambda:DeleteFunction",
      "lambda:DeleteFunctionConcurrency",
      "lambda:DeleteFunctionEventInvokeConfig",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConcurrency",
      "lambda:GetFunctionConfiguration",
      "lambda:GetFunctionEventInvokeConfig",
      "lambda:GetPolicy",
      "lambda:GetRuntimeManagementConfig",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:PutFunctionConcurrency",
      "lambda:PutFunctionEventInvokeConfig",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:UpdateFunctionEventInvokeConfig",
    ]
    resources = [local.lambda_arn]
  }

  statement {
    sid    = "ManagePlatformLogGroups"
    effect = "Allow"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DeleteMetricFilter",
      "logs:DeleteRetentionPolicy",
      "logs:DeleteSubscriptionFilter",
      "logs:DescribeMetricFilters",
      "logs:DescribeSubscriptionFilters",
      "logs:DisassociateKmsKey",
      "logs:ListTagsForResource",
      "logs:PutMetricFilter",
      "logs:PutRetentionPolicy",
      "logs:PutSubscriptionFilter",
      "logs:TagResource",
      "logs:UntagResource",
    ]
    resources = [
      "${local.logs_arn}:/aws/lambda/${local.prefix_glob}",
      "${local.logs_arn}:/aws/apigateway/${local.prefix_glob}",
    ]
  }

  statement {
    sid    = "ApiGatewayAccessLogDelivery"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"] # log delivery and Describe* actions have no resource-level permissions
  }

  statement {
    sid       = "ManageHttpApi"
    effect    = "Allow"
    actions   = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT", "apigateway:TagResource"]
    resources = ["arn:${local.partition}:apigateway:${local.region}::/apis", "arn:${local.partition}:apigateway:${local.region}::/apis/*", "arn:${local.partition}:apigateway:${local.region}::/tags/*"]
  }

  statement {
    sid    = "ManageAlarms"
    effect = "Allow"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutCompositeAlarm",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.prefix_glob}"]
  }

  statement {
    sid    = "ManageAlarmTopic"
    effect = "Allow"
    actions = [
      "sns:CreateTopic",
      "sns:DeleteTopic",
      "sns:GetTopicAttributes",
      "sns:ListTagsForResource",
      "sns:SetTopicAttributes",
      "sns:TagResource",
      "sns:UntagResource",
    ]
    resources = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.prefix_glob}"]
  }

  # OpenSearch Serverless: no management action takes a resource ARN except through conditions.
  # Policies and the collection are changed only for collections named with the prefix
  # (aoss:collection, as in the service's own least-privilege example); the collection is created
  # only with our project tag. Reads, and the retention policies (which have neither a resource
  # type nor a collection key), stay on "*".
  statement {
    sid    = "ReadLogCollection"
    effect = "Allow"
    actions = [
      "aoss:BatchGetCollection",
      "aoss:BatchGetLifecyclePolicy",
      "aoss:GetAccessPolicy",
      "aoss:GetSecurityPolicy",
      "aoss:ListCollections",
      "aoss:ListTagsForResource",
    ]
    resources = ["*"] # no resource-level permissions
  }

  statement {
    sid       = "CreateLogCollection"
    effect    = "Allow"
    actions   = ["aoss:CreateCollection", "aoss:TagResource"]
    resources = ["*"] # no resource-level permissions; scoped by the request tag

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid    = "ManageOurLogCollection"
    effect = "Allow"
    actions = [
      "aoss:CreateAccessPolicy",
      "aoss:CreateSecurityPolicy",
      "aoss:DeleteAccessPolicy",
      "aoss:DeleteCollection",
      "aoss:DeleteSecurityPolicy",
      "aoss:UpdateAccessPolicy",
      "aoss:UpdateCollection",
      "aoss:UpdateSecurityPolicy",
    ]
    resources = ["*"] # no resource-level permissions; scoped by the collection name

    condition {
      test     = "StringLike"
      variable = "aoss:collection"
      values   = [local.prefix_glob]
    }
  }

  statement {
    sid    = "LogCollectionRetention"
    effect = "Allow"
    actions = [
      "aoss:CreateLifecyclePolicy",
      "aoss:DeleteLifecyclePolicy",
      "aoss:UntagResource",
      "aoss:UpdateLifecyclePolicy",
    ]
    resources = ["*"] # neither a resource type nor a collection condition key exists for these
  }

  statement {
    sid       = "ApplyIndexTemplates"
    effect    = "Allow"
    actions   = ["aoss:APIAccessAll"]
    resources = ["arn:${local.partition}:aoss:${local.region}:${local.account_id}:collection/*"]
  }

  statement {
    sid       = "SmokeTestTheApi"
    effect    = "Allow"
    actions   = ["execute-api:Invoke"]
    resources = ["arn:${local.partition}:execute-api:${local.region}:${local.account_id}:*/*/GET/*"]
  }

  # Managed Grafana: workspaces have random ids, so they are scoped by the project tag they are
  # created with. IAM Identity Center calls are account-wide and have no resource types.
  statement {
    sid       = "CreateGrafanaWorkspace"
    effect    = "Allow"
    actions   = ["grafana:CreateWorkspace"]
    resources = ["*"] # no resource-level permissions; scoped by the request tag

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid    = "ManageOurGrafanaWorkspace"
    effect = "Allow"
    actions = [
      "grafana:CreateWorkspaceServiceAccount",
      "grafana:CreateWorkspaceServiceAccountToken",
      "grafana:DeleteWorkspace",
      "grafana:DeleteWorkspaceServiceAccount",
      "grafana:DeleteWorkspaceServiceAccountToken",
      "grafana:DescribeWorkspace",
      "grafana:DescribeWorkspaceAuthentication",
      "grafana:DescribeWorkspaceConfiguration",
      "grafana:ListPermissions",
      "grafana:ListTagsForResource",
      "grafana:ListWorkspaceServiceAccounts",
      "grafana:TagResource",
      "grafana:UntagResource",
      "grafana:UpdatePermissions",
      "grafana:UpdateWorkspace",
      "grafana:UpdateWorkspaceAuthentication",
    ]
    resources = ["arn:${local.partition}:grafana:${local.region}:${local.account_id}:/workspaces/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid    = "GrafanaIdentityCenter"
    effect = "Allow"
    actions = [
      "organizations:DescribeOrganization",
      "sso:CreateManagedApplicationInstance",
      "sso:DeleteManagedApplicationInstance",
      "sso:DescribeRegisteredRegions",
      "sso:GetSharedSsoConfiguration",
    ]
    resources = ["*"] # account-wide calls without resource types
  }

  # Chatbot: configurations are named with the prefix, so their ARNs scope the changes.
  statement {
    sid       = "CreateChatChannels"
    effect    = "Allow"
    actions   = ["chatbot:CreateMicrosoftTeamsChannelConfiguration", "chatbot:CreateSlackChannelConfiguration"]
    resources = ["*"] # no resource-level permissions; scoped by the request tag

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid    = "ManageOurChatChannels"
    effect = "Allow"
    actions = [
      "chatbot:DeleteMicrosoftTeamsChannelConfiguration",
      "chatbot:DeleteSlackChannelConfiguration",
      "chatbot:GetMicrosoftTeamsChannelConfiguration",
      "chatbot:TagResource",
      "chatbot:UntagResource",
      "chatbot:UpdateMicrosoftTeamsChannelConfiguration",
      "chatbot:UpdateSlackChannelConfiguration",
    ]
    resources = ["arn:${local.partition}:chatbot::${local.account_id}:chat-configuration/*/${local.prefix_glob}"]
  }

  statement {
    sid    = "ReadChatChannels"
    effect = "Allow"
    actions = [
      "chatbot:DescribeSlackChannelConfigurations",
      "chatbot:ListMicrosoftTeamsChannelConfigurations",
      "chatbot:ListTagsForResource",
    ]
    resources = ["*"] # account-wide listings without resource types
  }

  # GuardDuty: one detector per account and region, with a random id; scoped by its project tag.
  statement {
    sid       = "CreateDetector"
    effect    = "Allow"
    actions   = ["guardduty:CreateDetector", "guardduty:TagResource"]
    resources = ["*"] # no resource-level permissions at creation; scoped by the request tag

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid    = "ManageOurDetector"
    effect = "Allow"
    actions = [
      "guardduty:DeleteDetector",
      "guardduty:GetDetector",
      "guardduty:TagResource",
      "guardduty:UntagResource",
      "guardduty:UpdateDetector",
    ]
    resources = ["arn:${local.partition}:guardduty:${local.region}:${local.account_id}:detector/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid       = "ListDetectors"
    effect    = "Allow"
    actions   = ["guardduty:ListDetectors"]
    resources = ["*"] # no resource-level permissions
  }
}
