"""Composable index templates for the shipper's indices, one per ``event.kind``.

Applied by ``obsctl opensearch bootstrap`` or the deploy, never on the hot path. Only
``PUT _index_template/<name>`` is used: OpenSearch Serverless supports composable index templates
(``aoss:UpdateCollectionItems``) but no index settings such as shard counts, so the templates
carry mappings only.

Mapping choices:
- root ``dynamic: false``: a field we did not map is kept in ``_source`` but not indexed, so no
  key can create new fields (no mapping explosion) and none can be rejected for being unknown;
- ``labels`` is a ``flat_object``: any keys the code adds are searchable, without new fields and
  without type conflicts;
- ``unmapped`` holds, as one JSON string, values moved aside after a mapping conflict;
- REPORT figures and HTTP figures are numbers, identifiers are keywords, free text is text.
"""

from __future__ import annotations

from typing import Any

import orjson

from log_pipeline.config import AuthMode
from signals import logs as fields

TEMPLATE_VERSION = 1
TEMPLATE_DIR = "log_pipeline/templates"

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 1024}
_TEXT: dict[str, Any] = {"type": "text"}
_FIELD_TYPES: dict[str, dict[str, Any]] = {
    fields.TIMESTAMP: {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
    fields.MESSAGE: _TEXT,
    fields.LOG_LEVEL: _KEYWORD,
    fields.LOG_LOGGER: _KEYWORD,
    fields.SERVICE_NAME: _KEYWORD,
    fields.CLOUD_REGION: _KEYWORD,
    fields.CLOUD_ACCOUNT_ID: _KEYWORD,
    fields.CW_LOG_GROUP: _KEYWORD,
    fields.CW_LOG_STREAM: _KEYWORD,
    fields.CW_EVENT_ID: _KEYWORD,
    fields.CW_INGESTION_TIME: {"type": "date"},
    fields.LAMBDA_REQUEST_ID: _KEYWORD,
    fields.LAMBDA_FUNCTION_NAME: _KEYWORD,
    fields.LAMBDA_COLD_START: {"type": "boolean"},
    fields.LAMBDA_DURATION_MS: {"type": "double"},
    fields.LAMBDA_BILLED_DURATION_MS: {"type": "long"},
    fields.LAMBDA_MEMORY_SIZE_MB: {"type": "integer"},
    fields.LAMBDA_MAX_MEMORY_USED_MB: {"type": "integer"},
    fields.LAMBDA_INIT_DURATION_MS: {"type": "double"},
    fields.LAMBDA_RESTORE_DURATION_MS: {"type": "double"},
    fields.LAMBDA_STATUS: _KEYWORD,
    fields.LAMBDA_PLATFORM_TYPE: _KEYWORD,
    fields.TRACE_ID: _KEYWORD,
    fields.CORRELATION_ID: _KEYWORD,
    fields.EVENT_KIND: _KEYWORD,
    fields.ERROR_TYPE: _KEYWORD,
    fields.ERROR_MESSAGE: _TEXT,
    fields.ERROR_STACK_TRACE: _TEXT,
    fields.CODE_LOCATION: _KEYWORD,
    fields.HTTP_METHOD: _KEYWORD,
    fields.HTTP_ROUTE: _KEYWORD,
    fields.HTTP_PATH: _KEYWORD,
    fields.HTTP_STATUS: {"type": "integer"},
    fields.HTTP_RESPONSE_BYTES: {"type": "long"},
    fields.HTTP_LATENCY_MS: {"type": "double"},
    fields.HTTP_INTEGRATION_LATENCY_MS: {"type": "double"},
    fields.HTTP_INTEGRATION_ERROR: _TEXT,
    fields.HTTP_REQUEST_ID: _KEYWORD,
    fields.SOURCE_IP: {"type": "ip"},
    fields.USER_AGENT: _KEYWORD,
    fields.CALLER_ARN: _KEYWORD,
    fields.CALLER_ACCOUNT: _KEYWORD,
    fields.EXTRA: {"type": "flat_object"},
    fields.UNMAPPED: {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 8191}}},
}


def field_types() -> dict[str, dict[str, Any]]:
    """Every document field (dotted name) and its mapping: the schema's machine-readable half."""
    return {name: dict(mapping) for name, mapping in _FIELD_TYPES.items()}


def _nested_properties(flat: dict[str, dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for dotted, mapping in sorted(flat.items()):
        *parents, leaf = dotted.split(".")
        node = properties
        for parent in parents:
            node = node.setdefault(parent, {"properties": {}})["properties"]
        node[leaf] = dict(mapping)
    return properties


def template_name(kind: str) -> str:
    return f"{fields.INDEX_PREFIX}-{kind}"


def index_templates() -> dict[str, dict[str, Any]]:
    """Composable index template bodies by template name (``logs-application`` ...)."""
    mappings = {"dynamic": "false", "properties": _nested_properties(_FIELD_TYPES)}
    return {
        template_name(kind): {
            "index_patterns": [fields.index_pattern(kind)],
            "priority": 200,
            "version": TEMPLATE_VERSION,
            "template": {"mappings": mappings},
            "_meta": {"managed_by": "log_pipeline", "event_kind": kind},
        }
        for kind in fields.EVENT_KINDS
    }


def render_files() -> dict[str, str]:
    """The templates as committed JSON (for the deploy and the dashboards' contract tests)."""
    return {
        f"{TEMPLATE_DIR}/{name}.json": orjson.dumps(
            body, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
        ).decode()
        for name, body in index_templates().items()
    }


class TemplateError(RuntimeError):
    """OpenSearch refused a template; the message names it and quotes the answer."""


def apply_index_templates(endpoint: str, auth: AuthMode | str, region: str | None) -> list[str]:
    """PUT every template (SigV4 for ``aoss``/``es``); return the names applied."""
    from log_pipeline.config import ShipperConfig
    from log_pipeline.transport import session, sigv4_auth

    config = ShipperConfig(endpoint=endpoint.rstrip("/"), auth=auth, region=region)  # type: ignore[arg-type]
    signer = sigv4_auth(config.auth, config.region)
    applied: list[str] = []
    for name, body in index_templates().items():
        response = session().put(
            f"{config.endpoint}/_index_template/{name}",
            data=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
            auth=signer,
            timeout=(5, 30),
        )
        if response.status_code >= 300:
            raise TemplateError(
                f"PUT _index_template/{name}: HTTP {response.status_code}: {response.text[:300]}"
            )
        applied.append(name)
    return applied
