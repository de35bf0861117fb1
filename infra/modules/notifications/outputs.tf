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

output "chat_topic_arn" {
  description = "ARN of the chat topic: Chatbot reads it, only the notifier publishes to it."
  value       = aws_sns_topic.chat.arn
}

output "notifier_function_name" {
  description = "Name of the notifier Lambda, or null without one."
  value       = one(aws_lambda_function.notifier[*].function_name)
}
