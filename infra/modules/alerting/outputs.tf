output "alarm_topic_arn" {
  description = "The topic the catalog's alarms notify (echoed for composition)."
  value       = var.alarm_topic_arn
}

output "inputs" {
  description = "Every input of the catalog by variable name: the deploy step binds the Grafana alert rules' placeholders from it (OBS_<NAME>)."
  value = {
    name_prefix                       = var.name_prefix
    alarm_topic_arn                   = var.alarm_topic_arn
    function_name                     = var.function_name
    shipper_function_name             = var.shipper_function_name
    api_id                            = var.api_id
    api_stage                         = var.api_stage
    function_log_group_name           = var.function_log_group_name
    access_log_group_name             = var.access_log_group_name
    shipper_log_group_name            = var.shipper_log_group_name
    function_subscription_filter_name = var.function_subscription_filter_name
    access_subscription_filter_name   = var.access_subscription_filter_name
    runbook_base_url                  = var.runbook_base_url
  }
}
