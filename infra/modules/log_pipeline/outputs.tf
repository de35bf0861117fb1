output "collection_endpoint" {
  description = "HTTPS endpoint of the collection (for `obsctl opensearch bootstrap --endpoint ... --auth aoss`)."
  value       = aws_opensearchserverless_collection.this.collection_endpoint
}

output "dashboard_endpoint" {
  description = "OpenSearch Dashboards URL of the collection."
  value       = aws_opensearchserverless_collection.this.dashboard_endpoint
}

output "collection_arn" {
  description = "ARN of the collection."
  value       = aws_opensearchserverless_collection.this.arn
}

output "collection_name" {
  description = "Name of the collection."
  value       = aws_opensearchserverless_collection.this.name
}

output "shipper_function_name" {
  description = "Name of the shipper Lambda."
  value       = module.shipper.function_name
}

output "shipper_role_arn" {
  description = "ARN of the shipper's role."
  value       = module.shipper.role_arn
}

output "shipper_log_group_name" {
  description = "Name of the shipper's own log group."
  value       = module.shipper.log_group_name
}

output "dead_letter_bucket_name" {
  description = "Bucket holding events the shipper could not index."
  value       = module.dead_letters.bucket_name
}

output "subscription_filter_names" {
  description = "Subscription filter name per source key (the FilterName dimension of AWS/Logs delivery metrics)."
  value       = local.filter_names
}
