# HTTP API with one Lambda route and a $default route, both requiring AWS_IAM (or a Cognito JWT):
# there is no route without auth. Access logs use the one format definition in signals.logs,
# rendered to access_log_format.json, so the local gateway and the stage write the same keys.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  stage_name         = "$default"
  authorization_type = var.authorization.type
  route_method       = split(" ", var.route_key)[0]
  route_path         = trimprefix(split(" ", var.route_key)[1], "/")
  route_arn          = "${aws_apigatewayv2_api.this.execution_arn}/${local.stage_name}/${local.route_method}/${local.route_path}"
  access_log_format  = jsondecode(file("${path.module}/access_log_format.json"))
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = local.authorization_type == "JWT" ? 1 : 0

  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name}-cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.authorization.jwt_issuer
    audience = var.authorization.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "function" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = var.function_invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "this" {
  for_each = toset([var.route_key, "$default"])

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.function.id}"
  authorization_type = local.authorization_type
  authorizer_id      = local.authorization_type == "JWT" ? aws_apigatewayv2_authorizer.jwt[0].id : null
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = local.stage_name
  auto_deploy = true
  tags        = var.tags

  default_route_settings {
    detailed_metrics_enabled = true
    throttling_rate_limit    = var.throttling.rate_limit
    throttling_burst_limit   = var.throttling.burst_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode(local.access_log_format)
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*"
}

data "aws_iam_policy_document" "example_caller" {
  statement {
    sid       = "InvokeObjectsRoute"
    effect    = "Allow"
    actions   = ["execute-api:Invoke"]
    resources = [local.route_arn]
  }
}
