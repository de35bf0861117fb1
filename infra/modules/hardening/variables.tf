variable "enable_guardduty" {
  description = "Create a GuardDuty detector in this region (leave false when the organization already manages GuardDuty centrally: a second detector cannot be created)."
  type        = bool
  default     = true
}

variable "guardduty_finding_frequency" {
  description = "How often GuardDuty publishes updated findings."
  type        = string
  default     = "FIFTEEN_MINUTES"

  validation {
    condition     = contains(["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"], var.guardduty_finding_frequency)
    error_message = "guardduty_finding_frequency must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
