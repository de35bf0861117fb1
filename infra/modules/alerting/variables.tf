# The contract with alerts/ (rendered catalog.tf.json): exactly these inputs.

variable "name_prefix" {
  description = "Prefix of every alarm, composite and metric filter name."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 characters of [a-zA-Z0-9-]."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (module notifications)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "function_name" {
  description = "Name of the API function (FunctionName dimension)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be a Lambda function name."
  }
}

variable "shipper_function_name" {
  description = "Name of the shipper function (FunctionName dimension)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.shipper_function_name))
    error_message = "shipper_function_name must be a Lambda function name."
  }
}

variable "api_id" {
  description = "ID of the HTTP API (ApiId dimension)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,20}$", var.api_id))
    error_message = "api_id must be an API Gateway id (lowercase letters and digits)."
  }
}

variable "api_stage" {
  description = "Stage of the HTTP API (Stage dimension), usually $default."
  type        = string

  validation {
    condition     = can(regex("^(\\$default|[A-Za-z0-9_-]{1,128})$", var.api_stage))
    error_message = "api_stage must be $default or a stage name."
  }
}

variable "function_log_group_name" {
  description = "Log group of the API function (metric filters)."
  type        = string

  validation {
    condition     = startswith(var.function_log_group_name, "/")
    error_message = "function_log_group_name must be a log group name starting with /."
  }
}

variable "access_log_group_name" {
  description = "Access log group of the API stage (metric filters)."
  type        = string

  validation {
    condition     = startswith(var.access_log_group_name, "/")
    error_message = "access_log_group_name must be a log group name starting with /."
  }
}

variable "shipper_log_group_name" {
  description = "Log group of the shipper (metric filters)."
  type        = string

  validation {
    condition     = startswith(var.shipper_log_group_name, "/")
    error_message = "shipper_log_group_name must be a log group name starting with /."
  }
}

variable "function_subscription_filter_name" {
  description = "Subscription filter on the function's log group (FilterName dimension of AWS/Logs delivery metrics)."
  type        = string

  validation {
    condition     = length(var.function_subscription_filter_name) > 0
    error_message = "function_subscription_filter_name must not be empty."
  }
}

variable "access_subscription_filter_name" {
  description = "Subscription filter on the access log group (FilterName dimension)."
  type        = string

  validation {
    condition     = length(var.access_subscription_filter_name) > 0
    error_message = "access_subscription_filter_name must not be empty."
  }
}

variable "runbook_base_url" {
  description = "Base URL of the runbooks; each alarm description links <base>/<alarm>."
  type        = string

  validation {
    condition     = startswith(var.runbook_base_url, "https://")
    error_message = "runbook_base_url must be an https URL."
  }
}
