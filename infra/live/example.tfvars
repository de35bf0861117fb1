# The values the build workflow passes (as TF_VAR_* from repository variables), for a plan or a
# teardown from a workstation: terraform plan -var-file=example.tfvars (after editing).
region           = "eu-west-1"
deploy_role_arn  = "arn:aws:iam::123456789012:role/obs-platform-github-deploy"
admin_role_arn   = "arn:aws:iam::123456789012:role/Admin"
artifacts_bucket = "obs-platform-artifacts-123456789012"
runbook_base_url = "https://github.com/OWNER/REPO/blob/main"

packages = {
  function_key = "lambda/<commit sha>/function.zip"
  shipper_key  = "lambda/<commit sha>/shipper.zip"
  notifier_key = "lambda/<commit sha>/notifier.zip"
}

opensearch_network = {
  allow_public = true
}

# slack = { team_id = "T07EA123LEP", channel_id = "C07EZ1ABC23" }
# teams = { tenant_id = "...", team_id = "...", channel_id = "..." }
