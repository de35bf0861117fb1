# Applied once by hand: GitHub OIDC provider, the deploy role, the state and artifacts buckets.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  oidc_host    = "token.actions.githubusercontent.com"
  deploy_name  = "${var.name_prefix}-github-deploy"
  deploy_arn   = "arn:${local.partition}:iam::${local.account_id}:role/${local.deploy_name}"
  deploy_roles = [aws_iam_role.deploy.arn, var.admin_role_arn]
  # The deploy environment's subject only. A branch subject (ref:refs/heads/main) would let any
  # job on that branch that asks for id-token: write skip the environment's required reviewers;
  # the environment itself must be restricted to the deploy branch (infra/README.md). Never a
  # wildcard over the repository (any branch or pull request could then deploy).
  oidc_subjects = ["repo:${var.github_repository}:environment:${var.deploy_environment}"]
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = local.oidc_subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = local.deploy_name
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = 3600

  depends_on = [aws_iam_openid_connect_provider.github]
}

module "state_key" {
  source = "../modules/kms"

  name               = "${var.name_prefix}-delivery"
  description        = "Terraform state and Lambda artifacts of ${var.name_prefix}"
  administrator_arns = [var.admin_role_arn]
  user_arns          = local.deploy_roles
}

module "state_bucket" {
  source = "../modules/data_bucket"

  bucket_name            = "${var.name_prefix}-tfstate-${local.account_id}"
  kms_key_arn            = module.state_key.key_arn
  versioning             = true
  allowed_principal_arns = local.deploy_roles
}

module "artifacts_bucket" {
  source = "../modules/data_bucket"

  bucket_name                        = "${var.name_prefix}-artifacts-${local.account_id}"
  kms_key_arn                        = module.state_key.key_arn
  versioning                         = true
  noncurrent_version_expiration_days = 30
  allowed_principal_arns             = local.deploy_roles
}

# The deploy role's permissions are three managed policies (deploy_policy.tf); the former inline
# policy "deploy" is deleted when this is applied.
