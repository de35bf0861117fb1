output "alarm_topic_arn" {
  description = "The topic the catalog's alarms notify (echoed for composition)."
  value       = var.alarm_topic_arn
}
