"""Service names, as they appear in Powertools' ``service`` key, EMF dimensions and dashboards."""

from typing import Final

__all__ = [
    "API_ROUTE_KEY",
    "API_SERVICE",
    "DEFAULT_ROUTE_KEY",
    "GRAFANA_CLOUDWATCH_UID",
    "GRAFANA_OPENSEARCH_UID",
    "PROJECT",
    "SHIPPER_SERVICE",
]

API_SERVICE: Final = "objects-api"
"""The listing function behind the HTTP API."""

SHIPPER_SERVICE: Final = "log-shipper"
"""The CloudWatch Logs subscription Lambda that writes into OpenSearch."""

PROJECT: Final = "obs-platform"
"""Prefix for resource names (log groups, buckets, alarms) in the local stack and in Terraform."""

API_ROUTE_KEY: Final = "GET /objects"
"""The API's route to the function."""

DEFAULT_ROUTE_KEY: Final = "$default"
"""The catch-all route: also AWS_IAM and also the function (which answers 404 for unknown paths),
so an unknown path is authenticated before anything answers it."""

GRAFANA_CLOUDWATCH_UID: Final = "obs-platform-cloudwatch"
"""Grafana data source uid of CloudWatch (dashboards and Grafana alert rules reference it)."""

GRAFANA_OPENSEARCH_UID: Final = "obs-platform-opensearch"
"""Grafana data source uid of the OpenSearch Serverless collection (plugin grafana-opensearch-datasource)."""
