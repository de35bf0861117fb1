# Least-privilege deploy policy: what `terraform apply` of infra/live and the deploy steps need,
# scoped to resources named with the prefix wherever the service supports resource-level
# permissions. No "*" action and no "<service>:*" in an Allow anywhere.
#
# The role cannot make itself (or anything) an administrator: every role it creates or changes
# must carry the workload boundary (boundary.tf, condition iam:PermissionsBoundary), it may attach
# only the project's own managed policies (iam:PolicyARN), and explicit Denies keep it from
# changing itself, its boundary, or removing a boundary. tests/integration/test_escalation.py
# tries each escalation against these very documents, and make test runs IAM analysers over them.
#
# Three managed policies, not one inline policy: IAM caps a role's inline policies at 10,240
# characters in all and a managed policy at 6,144 (tests/unit/infra/test_iam_analysers.py checks
# both); the whole set is about 12,000. A Deny in any of them applies to every request.

data "aws_region" "current" {}

locals {
  region       = data.aws_region.current.name
  prefix_glob  = "${var.name_prefix}-*"
  lambda_arn   = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.prefix_glob}"
  event_rules  = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.prefix_glob}"
  logs_arn     = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"
  prefix_roles = "arn:${local.partition}:iam::${local.account_id}:role/${local.prefix_glob}"
  # The boundary (boundary.tf) is named <prefix>-workload-boundary, so it matches this glob too:
  # DenyChangingItselfOrTheBoundary takes it out again.
  prefix_policies = "arn:${local.partition}:iam::${local.account_id}:policy/${local.prefix_glob}"
  # The deploy role's own managed policies are named <prefix>-github-deploy-*: the glob above
  # matches them, DenyChangingItselfOrTheBoundary takes them out.
  deploy_policies = "arn:${local.partition}:iam::${local.account_id}:policy/${local.deploy_name}-*"
}

locals {
  tagging_actions = [
    "aoss:TagResource",
    "apigateway:TagResource",
    "chatbot:TagResource",
    "grafana:TagResource",
    "guardduty:TagResource",
    "kms:TagResource",
    "secretsmanager:TagResource",
  ]
  untagging_actions = [
    "aoss:UntagResource",
    "apigateway:UntagResource",
    "chatbot:UntagResource",
    "grafana:UntagResource",
    "guardduty:UntagResource",
    "kms:UntagResource",
    "secretsmanager:UntagResource",
  ]
  # What must never reach a resource tagged for another project (the tagging actions included).
  tag_guarded_actions = [
    "aoss:DeleteCollection",
    "aoss:TagResource",
    "aoss:UntagResource",
    "aoss:UpdateCollection",
    "apigateway:DELETE",
    "apigateway:PATCH",
    "apigateway:POST",
    "apigateway:PUT",
    "apigateway:TagResource",
    "apigateway:UntagResource",
    "chatbot:TagResource",
    "chatbot:UntagResource",
    "grafana:DeleteWorkspace",
    "grafana:TagResource",
    "grafana:UntagResource",
    "grafana:UpdateWorkspace",
    "guardduty:TagResource",
    "guardduty:UntagResource",
    "guardduty:UpdateDetector",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:TagResource",
    "kms:UntagResource",
    "secretsmanager:DeleteSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:UpdateSecret",
  ]
}

# 1/3: Terraform state, the platform's buckets, and IAM (bounded roles, the Denies that keep the
# role from changing itself).
data "aws_iam_policy_document" "deploy_iam" {
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

  # Roles: created, given inline policies, trusted and deleted only with the workload boundary
  # attached (the Service Authorization Reference lists iam:PermissionsBoundary for each of these).
  statement {
    sid    = "BoundedPlatformRoles"
    effect = "Allow"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = [local.prefix_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  # Attaching: only the project's own managed policies, only to bounded roles. Never an AWS
  # managed policy such as AdministratorAccess.
  statement {
    sid       = "AttachPlatformPolicies"
    effect    = "Allow"
    actions   = ["iam:AttachRolePolicy"]
    resources = [local.prefix_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values   = [local.prefix_policies]
    }
  }

  statement {
    sid    = "ManagePlatformRoles"
    effect = "Allow"
    actions = [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
    ]
    resources = [local.prefix_roles]
  }

  statement {
    sid    = "ManagePlatformPolicies"
    effect = "Allow"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListPolicyVersions",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = [local.prefix_policies]
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

  # The role, its own policies and the boundary are the administrators' (infra/bootstrap): nothing
  # here may change them, pass the role, or take a boundary off any role. Explicit Denies win over every Allow,
  # including the prefix-wide ones above (the role's own name matches the prefix).
  statement {
    sid    = "DenyChangingItselfOrTheBoundary"
    effect = "Deny"
    actions = [
      "iam:Add*",
      "iam:Attach*",
      "iam:Create*",
      "iam:Delete*",
      "iam:Detach*",
      "iam:PassRole",
      "iam:Put*",
      "iam:Remove*",
      "iam:Set*",
      "iam:Tag*",
      "iam:Untag*",
      "iam:Update*",
    ]
    resources = [local.deploy_arn, local.deploy_policies, local.boundary_arn]
  }

  statement {
    sid       = "DenyRemovingBoundaries"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
    resources = ["*"]
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
}

# 2/3: keys, functions, logs, the HTTP API, alarms and the alarm topic.
data "aws_iam_policy_document" "deploy_platform" {
  # CreateKey has no resource-level permissions; with tags (default_tags) it also needs
  # kms:TagResource, evaluated before the key exists. Both only for keys tagged as ours. The tag
  # keys are not pinned: operators add their own through var.tags.
  statement {
    sid       = "CreateTaggedKeys"
    effect    = "Allow"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"] # tag-on-create needs kms:TagResource unrestricted to keys (KMS guide)

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
  # and only on keys with an alias under the prefix. Not by tag: kms:TagResource on "*" (needed to
  # tag at creation) could put our tag on another team's key; an alias cannot be put on a key
  # without kms:CreateAlias on the key itself, which only the key's administrators hold. The data
  # key's policy does not list this role as a user at all (infra/live).
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
      test     = "ForAnyValue:StringLike"
      variable = "kms:ResourceAliases"
      values   = ["alias/${local.prefix_glob}"]
    }
  }

  statement {
    sid       = "NamePlatformKeys"
    effect    = "Allow"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:alias/${local.prefix_glob}"]
  }

  # infra/live's paging-token secret, by its name. GetSecretValue: the provider reads the version back after writing it (the deploy role can
  # replace the function's code anyway, so reading its key adds nothing).
  statement {
    sid    = "ManageTokenSecret"
    effect = "Allow"
    actions = [
      "secretsmanager:CreateSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:TagResource",
      "secretsmanager:UntagResource",
      "secretsmanager:UpdateSecret",
    ]
    resources = [local.token_secret_arn] # boundary.tf
  }

  statement {
    sid       = "GenerateTokenSecret"
    effect    = "Allow"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"] # no resource (ephemeral aws_secretsmanager_random_password)
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

  # The notifier's rule (alarm state changes on the default bus), named with the prefix. Its
  # targets are only the platform's own functions (events:TargetArn): a rule of ours cannot feed
  # another team's Lambda, topic, queue or bus. No target needs a role (no events PassRole).
  statement {
    sid    = "ManagePlatformEventRules"
    effect = "Allow"
    actions = [
      "events:DeleteRule",
      "events:DescribeRule",
      "events:ListTagsForResource",
      "events:ListTargetsByRule",
      "events:PutRule",
      "events:RemoveTargets",
      "events:TagResource",
      "events:UntagResource",
    ]
    resources = [local.event_rules]
  }

  statement {
    sid       = "TargetPlatformFunctions"
    effect    = "Allow"
    actions   = ["events:PutTargets"]
    resources = [local.event_rules]

    # ForAllValues: every target is ours; ForAnyValue (false for no value): there is a target.
    condition {
      test     = "ForAllValues:ArnLike"
      variable = "events:TargetArn"
      values   = [local.lambda_arn]
    }

    condition {
      test     = "ForAnyValue:ArnLike"
      variable = "events:TargetArn"
      values   = [local.lambda_arn]
    }
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

  # The post-deploy smoke test calls GET on the platform's own API only (its id is known after
  # the first apply of infra/live: re-apply this root with smoke_test_api_id set).
  dynamic "statement" {
    for_each = var.smoke_test_api_id == null ? [] : [var.smoke_test_api_id]

    content {
      sid       = "SmokeTestTheApi"
      effect    = "Allow"
      actions   = ["execute-api:Invoke"]
      resources = ["arn:${local.partition}:execute-api:${local.region}:${local.account_id}:${statement.value}/*/GET/*"]
    }
  }
}

# 3/3: OpenSearch Serverless, Managed Grafana, Chatbot, GuardDuty, and the tag guards.
data "aws_iam_policy_document" "deploy_services" {
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
      "aoss:UpdateLifecyclePolicy",
    ]
    resources = ["*"] # neither a resource type nor a collection condition key exists for these
  }

  statement {
    sid       = "UntagOurLogCollection"
    effect    = "Allow"
    actions   = ["aoss:UntagResource"]
    resources = ["*"] # no resource-level permissions; scoped by the collection's own tag

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid       = "ApplyIndexTemplates"
    effect    = "Allow"
    actions   = ["aoss:APIAccessAll"]
    resources = ["arn:${local.partition}:aoss:${local.region}:${local.account_id}:collection/*"]
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
  # Deleting a detector (turning threat detection off) is left to the administrators: a tag can
  # be put on a detector after the fact, so the tag alone must not be enough to remove it.
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

  # Tag-on-create is authorized on "*" (no detector ARN yet); tagging an existing detector is
  # authorized on its ARN. So an existing detector that is not already ours cannot be given our
  # tag (and with it UpdateDetector, which could turn threat detection off).
  statement {
    sid       = "DenyClaimingOtherDetectors"
    effect    = "Deny"
    actions   = ["guardduty:TagResource", "guardduty:UntagResource"]
    resources = ["arn:${local.partition}:guardduty:${local.region}:${local.account_id}:detector/*"]

    condition {
      test     = "StringNotEquals"
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

  # Tags decide what "ours" is for the statements scoped by aws:ResourceTag/project. Creation needs
  # tagging on "*" (no ARN exists yet), so these Denies keep it from being used after the fact:
  # no resource that carries another project's tag is tagged, untagged or changed, no request
  # sets the project tag to another value, and the project tag is never removed.
  statement {
    sid       = "DenyTouchingOtherProjectsResources"
    effect    = "Deny"
    actions   = local.tag_guarded_actions
    resources = ["*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/project"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:ResourceTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid       = "DenyOtherProjectTags"
    effect    = "Deny"
    actions   = local.tagging_actions
    resources = ["*"]

    condition {
      test     = "Null"
      variable = "aws:RequestTag/project"
      values   = ["false"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:RequestTag/project"
      values   = [var.name_prefix]
    }
  }

  statement {
    sid       = "DenyRemovingTheProjectTag"
    effect    = "Deny"
    actions   = local.untagging_actions
    resources = ["*"]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:TagKeys"
      values   = ["project"]
    }
  }
}

resource "aws_iam_policy" "deploy" {
  for_each = {
    iam      = data.aws_iam_policy_document.deploy_iam.json
    platform = data.aws_iam_policy_document.deploy_platform.json
    services = data.aws_iam_policy_document.deploy_services.json
  }

  name        = "${local.deploy_name}-${each.key}"
  description = "Deploy role of ${var.name_prefix} (${each.key}); see infra/bootstrap/deploy_policy.tf"
  policy      = each.value
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = aws_iam_policy.deploy

  role       = aws_iam_role.deploy.name
  policy_arn = each.value.arn
}
