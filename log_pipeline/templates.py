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
from signals import logs as f

TEMPLATE_VERSION = 1
TEMPLATE_DIR = "log_pipeline/templates"

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 1024}
_TEXT: dict[str, Any] = {"type": "text"}
_FIELD_TYPES: dict[str, dict[str, Any]] = {
    f.TIMESTAMP: {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
    f.MESSAGE: _TEXT,
    f.LOG_LEVEL: _KEYWORD,
    f.LOG_LOGGER: _KEYWORD,
    f.SERVICE_NAME: _KEYWORD,
    f.CLOUD_REGION: _KEYWORD,
    f.CLOUD_ACCOUNT_ID: _KEYWORD,
    f.CW_LOG_GROUP: _KEYWORD,
    f.CW_LOG_STREAM: _KEYWORD,
    f.CW_EVENT_ID: _KEYWORD,
    f.CW_INGESTION_TIME: {"type": "date"},
    f.LAMBDA_REQUEST_ID: _KEYWORD,
    f.LAMBDA_FUNCTION_NAME: _KEYWORD,
    f.LAMBDA_COLD_START: {"type": "boolean"},
    f.LAMBDA_DURATION_MS: {"type": "double"},
    f.LAMBDA_BILLED_DURATION_MS: {"type": "long"},
    f.LAMBDA_MEMORY_SIZE_MB: {"type": "integer"},
    f.LAMBDA_MAX_MEMORY_USED_MB: {"type": "integer"},
    f.LAMBDA_INIT_DURATION_MS: {"type": "double"},
    f.LAMBDA_RESTORE_DURATION_MS: {"type": "double"},
    f.LAMBDA_STATUS: _KEYWORD,
    f.LAMBDA_PLATFORM_TYPE: _KEYWORD,
    f.TRACE_ID: _KEYWORD,
    f.CORRELATION_ID: _KEYWORD,
    f.EVENT_KIND: _KEYWORD,
    f.ERROR_TYPE: _KEYWORD,
    f.ERROR_MESSAGE: _TEXT,
    f.ERROR_STACK_TRACE: _TEXT,
    f.CODE_LOCATION: _KEYWORD,
    f.HTTP_METHOD: _KEYWORD,
    f.HTTP_ROUTE: _KEYWORD,
    f.HTTP_PATH: _KEYWORD,
    f.HTTP_STATUS: {"type": "integer"},
    f.HTTP_RESPONSE_BYTES: {"type": "long"},
    f.HTTP_LATENCY_MS: {"type": "double"},
    f.HTTP_INTEGRATION_LATENCY_MS: {"type": "double"},
    f.HTTP_INTEGRATION_ERROR: _TEXT,
    f.HTTP_REQUEST_ID: _KEYWORD,
    f.SOURCE_IP: {"type": "ip"},
    f.USER_AGENT: _KEYWORD,
    f.CALLER_ARN: _KEYWORD,
    f.CALLER_ACCOUNT: _KEYWORD,
    f.EXTRA: {"type": "flat_object"},
    f.UNMAPPED: {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 8191}}},
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
    return f"{f.INDEX_PREFIX}-{kind}"


def index_templates() -> dict[str, dict[str, Any]]:
    """Composable index template bodies by template name (``logs-application`` ...)."""
    mappings = {"dynamic": "false", "properties": _nested_properties(_FIELD_TYPES)}
    return {
        template_name(kind): {
            "index_patterns": [f.index_pattern(kind)],
            "priority": 200,
            "version": TEMPLATE_VERSION,
            "template": {"mappings": mappings},
            "_meta": {"managed_by": "log_pipeline", "event_kind": kind},
        }
        for kind in f.EVENT_KINDS
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
