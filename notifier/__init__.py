"""The notifier Lambda: CloudWatch alarm state changes (EventBridge) -> Chatbot custom notifications."""
