output "deploy_role_arn" {
  description = "Set as the repository variable AWS_DEPLOY_ROLE_ARN."
  value       = aws_iam_role.deploy.arn
}

output "state_bucket" {
  description = "Set as TF_STATE_BUCKET; infra/live's backend bucket."
  value       = module.state_bucket.bucket_name
}

output "artifacts_bucket" {
  description = "Set as ARTIFACTS_BUCKET; the build uploads the Lambda zips here."
  value       = module.artifacts_bucket.bucket_name
}

output "oidc_subjects" {
  description = "The exact token subjects the deploy role trusts."
  value       = local.oidc_subjects
}

output "workload_boundary_arn" {
  description = "The permissions boundary every role of infra/live carries (its permissions_boundary_arn defaults to this ARN)."
  value       = aws_iam_policy.workload_boundary.arn
}
