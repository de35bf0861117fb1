output "api_id" {
  description = "ID of the HTTP API (the ApiId metric dimension)."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the API (obsctl call --endpoint <this>)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "stage_name" {
  description = "Name of the stage (the Stage metric dimension)."
  value       = aws_apigatewayv2_stage.this.name
}

output "route_arn" {
  description = "execute-api ARN of the objects route, for callers' IAM policies."
  value       = local.route_arn
}

output "example_caller_policy_json" {
  description = "An IAM policy that lets a principal call the objects route and nothing else."
  value       = data.aws_iam_policy_document.example_caller.json
}

output "access_log_group_name" {
  description = "Name of the stage's access log group."
  value       = aws_cloudwatch_log_group.access.name
}

output "access_log_group_arn" {
  description = "ARN of the stage's access log group."
  value       = aws_cloudwatch_log_group.access.arn
}
