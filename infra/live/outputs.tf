output "api_endpoint" {
  description = "Base URL of the HTTP API (obsctl call --endpoint <this>)."
  value       = module.http_api.api_endpoint
}

output "route_arn" {
  description = "execute-api ARN of the objects route."
  value       = module.http_api.route_arn
}

output "example_caller_policy_json" {
  description = "IAM policy granting execute-api:Invoke on the objects route only; attach it to callers."
  value       = module.http_api.example_caller_policy_json
}

output "data_bucket_name" {
  description = "The bucket the API lists."
  value       = module.data_bucket.bucket_name
}

output "opensearch_endpoint" {
  description = "Collection endpoint: obsctl opensearch bootstrap --endpoint <this> --auth aoss."
  value       = module.log_pipeline.collection_endpoint
}

output "opensearch_dashboards_url" {
  description = "OpenSearch Dashboards of the collection."
  value       = module.log_pipeline.dashboard_endpoint
}

output "grafana_workspace_id" {
  description = "Grafana workspace id (for minting the publisher's token)."
  value       = module.grafana.workspace_id
}

output "grafana_url" {
  description = "Grafana workspace URL."
  value       = "https://${module.grafana.workspace_endpoint}"
}

output "grafana_publisher_service_account_id" {
  description = "Service account the pipeline mints a short-lived token for."
  value       = module.grafana.publisher_service_account_id
}

output "grafana_publisher_service_account_name" {
  description = "Name of that service account (obsctl dashboards publish --service-account)."
  value       = module.grafana.publisher_service_account_name
}

output "alerting_inputs" {
  description = "The alarm catalog's inputs by variable name (bound into the Grafana alert rules as OBS_<NAME>)."
  value       = module.alerting.inputs
}

output "alarm_topic_arn" {
  description = "The alarm topic."
  value       = module.notifications.alarm_topic_arn
}

output "dead_letter_bucket_name" {
  description = "Events the shipper could not index."
  value       = module.log_pipeline.dead_letter_bucket_name
}

output "function_name" {
  description = "Name of the API function."
  value       = module.function.function_name
}

output "chat_topic_arn" {
  description = "ARN of the chat topic Chatbot reads; only the notifier publishes to it."
  value       = module.notifications.chat_topic_arn
}

output "api_id" {
  description = "The HTTP API's id: set it as smoke_test_api_id in infra/bootstrap so the deploy role may smoke-test this API (and no other)."
  value       = module.http_api.api_id
}
