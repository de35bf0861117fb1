output "alarm_topic_arn" {
  description = "ARN of the alarm topic (alerting's alarm_topic_arn)."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_topic_name" {
  description = "Name of the alarm topic."
  value       = aws_sns_topic.alarms.name
}

output "chatbot_role_arn" {
  description = "ARN of Chatbot's read-only role, or null without a chat channel."
  value       = one(aws_iam_role.chatbot[*].arn)
}
