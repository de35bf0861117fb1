output "workspace_id" {
  description = "ID of the workspace."
  value       = aws_grafana_workspace.this.id
}

output "workspace_endpoint" {
  description = "Host name of the workspace (https://<endpoint>)."
  value       = aws_grafana_workspace.this.endpoint
}

output "workspace_role_arn" {
  description = "ARN of the workspace's read-only role (a reader in the collection's data-access policy)."
  value       = aws_iam_role.workspace.arn
}

output "publisher_service_account_id" {
  description = "Service account the pipeline mints a short-lived token for, to publish dashboards."
  value       = aws_grafana_workspace_service_account.publisher.service_account_id
}

output "publisher_service_account_name" {
  description = "Name of that service account (obsctl dashboards publish --service-account)."
  value       = aws_grafana_workspace_service_account.publisher.name
}
