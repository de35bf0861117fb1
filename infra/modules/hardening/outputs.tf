output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector, or null when disabled."
  value       = one(aws_guardduty_detector.this[*].id)
}
