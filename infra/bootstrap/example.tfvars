# The values of a bootstrap, for `terraform plan -var-file=example.tfvars` (after editing); the
# infra checks plan with this file against the local emulator (make check-infra).
region            = "eu-west-1"
github_repository = "OWNER/REPO"
admin_role_arn    = "arn:aws:iam::123456789012:role/Admin"
