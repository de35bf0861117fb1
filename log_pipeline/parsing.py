"""Turn one CloudWatch log message into document fields. Never raises, never drops text.

Recognised shapes, tried cheapest first (the first character and a prefix decide):
Powertools JSON lines and Lambda's JSON application lines, EMF lines (top-level ``_aws``), other
JSON, Lambda platform lines in text (``START``/``END``/``REPORT``/``INIT_START``...) and JSON
(``"type": "platform.report"``...), the runtime's ``Task timed out`` line, the Python runtime's
``[LEVEL]\\ttime\\trequest-id\\tmessage`` text lines, and API Gateway access-log JSON lines. Anything
else is plain text kept whole in ``message``. Keys nobody mapped go into ``labels`` (flat_object).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

import orjson

from log_pipeline.encoding import EncodeError, dumps
from signals import logs as fields

_FieldMap = dict[str, str]
_Result = tuple[str, dict[str, Any], bool]
"""(event.kind, fields, emf): what ``Parsed`` holds, as a plain tuple for the hot path."""


class Parsed(NamedTuple):
    kind: str
    """event.kind: application, platform or access."""
    fields: dict[str, Any]
    """Document fields (dotted names from signals.logs), always including ``message``."""
    emf: bool = False
    """The line is an Embedded Metric Format record (skipped unless SHIP_EMF)."""


# Keys of application JSON lines (Powertools, Lambda's JSON log format, our audit keys) -> fields.
_APP_KEYS: _FieldMap = {
    fields.PT_LEVEL: fields.LOG_LEVEL,
    fields.PT_LOCATION: fields.CODE_LOCATION,
    fields.PT_SERVICE: fields.SERVICE_NAME,
    fields.PT_COLD_START: fields.LAMBDA_COLD_START,
    fields.PT_FUNCTION_NAME: fields.LAMBDA_FUNCTION_NAME,
    fields.PT_FUNCTION_MEMORY: fields.LAMBDA_MEMORY_SIZE_MB,
    fields.PT_REQUEST_ID: fields.LAMBDA_REQUEST_ID,
    "requestId": fields.LAMBDA_REQUEST_ID,  # Lambda's own JSON log format
    "logger": fields.LOG_LOGGER,  # Lambda's own JSON log format
    fields.PT_CORRELATION_ID: fields.CORRELATION_ID,
    fields.PT_XRAY_TRACE_ID: fields.TRACE_ID,
    fields.PT_EXCEPTION: fields.ERROR_STACK_TRACE,
    fields.PT_EXCEPTION_NAME: fields.ERROR_TYPE,
    fields.APP_CALLER_ARN: fields.CALLER_ARN,
    fields.APP_CALLER_ACCOUNT: fields.CALLER_ACCOUNT,
    fields.APP_ROUTE: fields.HTTP_ROUTE,
    fields.APP_STATUS: fields.HTTP_STATUS,
}
_INT_FIELDS = frozenset(
    {
        fields.LAMBDA_MEMORY_SIZE_MB,
        fields.LAMBDA_BILLED_DURATION_MS,
        fields.LAMBDA_MAX_MEMORY_USED_MB,
        fields.HTTP_STATUS,
        fields.HTTP_RESPONSE_BYTES,
    }
)
_FLOAT_FIELDS = frozenset(
    {
        fields.LAMBDA_DURATION_MS,
        fields.LAMBDA_INIT_DURATION_MS,
        fields.LAMBDA_RESTORE_DURATION_MS,
        fields.HTTP_LATENCY_MS,
        fields.HTTP_INTEGRATION_LATENCY_MS,
    }
)
_BOOL_FIELDS = frozenset({fields.LAMBDA_COLD_START})
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_APP_ITEMS = tuple(_APP_KEYS.items())

# Access-log keys: everything ACCESS_LOG_TO_FIELD maps, plus the error message.
_ACCESS_KEYS: _FieldMap = {**fields.ACCESS_LOG_TO_FIELD, "errorMessage": fields.ERROR_MESSAGE}

# Platform JSON (``platform.*`` events): record.metrics keys -> fields.
_PLATFORM_METRICS: _FieldMap = {
    "durationMs": fields.LAMBDA_DURATION_MS,
    "billedDurationMs": fields.LAMBDA_BILLED_DURATION_MS,
    "memorySizeMB": fields.LAMBDA_MEMORY_SIZE_MB,
    "maxMemoryUsedMB": fields.LAMBDA_MAX_MEMORY_USED_MB,
    "initDurationMs": fields.LAMBDA_INIT_DURATION_MS,
    "restoreDurationMs": fields.LAMBDA_RESTORE_DURATION_MS,
}
# Platform text REPORT parts ("Key: value unit") -> fields.
_REPORT_PARTS: _FieldMap = {
    "RequestId": fields.LAMBDA_REQUEST_ID,
    "Duration": fields.LAMBDA_DURATION_MS,
    "Billed Duration": fields.LAMBDA_BILLED_DURATION_MS,
    "Memory Size": fields.LAMBDA_MEMORY_SIZE_MB,
    "Max Memory Used": fields.LAMBDA_MAX_MEMORY_USED_MB,
    "Init Duration": fields.LAMBDA_INIT_DURATION_MS,
    "Restore Duration": fields.LAMBDA_RESTORE_DURATION_MS,
    "Status": fields.LAMBDA_STATUS,
    "Error Type": fields.ERROR_TYPE,
    "XRAY TraceId": fields.TRACE_ID,
}
_PLATFORM_TEXT_PREFIXES = (
    "START ",
    "END ",
    "REPORT ",
    "INIT_START ",
    "INIT_REPORT ",
    "RESTORE_START ",
    "RESTORE_REPORT ",
    "EXTENSION ",
    "TELEMETRY ",
)
_TIMEOUT_MARKER = " Task timed out after "
_RUNTIME_LINE = re.compile(r"\[([A-Z]+)\]\t(\S+)\t([0-9a-f-]{36})\t(.*)", re.DOTALL)
_TIMEOUT_LINE = re.compile(r"\S+ ([0-9a-f-]{36}) Task timed out after ([0-9.]+) seconds")
_TRACE_ROOT = re.compile(r"Root=([^;]+)")
_START_END_LINE = re.compile(r"(?:START|END) RequestId: (\S+)(?: Version: (\S+))?\s*$")
_REPORT_LINE = re.compile(
    r"REPORT RequestId: (\S+)\tDuration: ([0-9]+(?:\.[0-9]+)?) ms\tBilled Duration: ([0-9]+) ms\t"
    r"Memory Size: ([0-9]+) MB\tMax Memory Used: ([0-9]+) MB(.*)",
    re.DOTALL,
)


PARSED_FIELDS = frozenset(
    {
        *_APP_KEYS.values(),
        *_ACCESS_KEYS.values(),
        *_PLATFORM_METRICS.values(),
        *_REPORT_PARTS.values(),
        fields.MESSAGE,
        fields.EXTRA,
        fields.LOG_LEVEL,
        fields.LAMBDA_REQUEST_ID,
        fields.LAMBDA_PLATFORM_TYPE,
        fields.LAMBDA_STATUS,
        fields.ERROR_TYPE,
        fields.TRACE_ID,
    }
)
"""Every document key parsing can produce (the batch adds the others)."""

_MESSAGE, _EXTRA, _LOG_LEVEL, _PT_MESSAGE = fields.MESSAGE, fields.EXTRA, fields.LOG_LEVEL, fields.PT_MESSAGE
_APPLICATION, _PLATFORM = fields.KIND_APPLICATION, fields.KIND_PLATFORM
_TYPED_FIELDS = _INT_FIELDS | _FLOAT_FIELDS | _BOOL_FIELDS


def parse_message(message: str) -> Parsed:
    """Classify and parse one message; any text yields a document (plain text in the worst case)."""
    kind, fields, emf = parse_fields(message)
    return Parsed(kind, fields, emf)


def parse_fields(message: str) -> _Result:
    """``parse_message`` as a plain tuple ``(kind, fields, emf)`` (the batch loop's form)."""
    head = message.lstrip()[:1] if message[:1].isspace() else message[:1]
    if head == "{":
        try:
            obj = orjson.loads(message)
        except orjson.JSONDecodeError:
            obj = None
        if obj.__class__ is dict:
            return _parse_json(message, obj)
    elif message.startswith(_PLATFORM_TEXT_PREFIXES):
        return _parse_platform_text(message)
    elif head == "[":
        match = _RUNTIME_LINE.match(message)
        if match:
            level, _time, request_id, text = match.groups()
            return (
                _APPLICATION,
                {_MESSAGE: text.rstrip("\n"), fields.LOG_LEVEL: level, fields.LAMBDA_REQUEST_ID: request_id},
                False,
            )
    elif _TIMEOUT_MARKER in message:
        timeout = _TIMEOUT_LINE.match(message)
        if timeout:
            return (
                _PLATFORM,
                {
                    _MESSAGE: message,
                    fields.LAMBDA_REQUEST_ID: timeout.group(1),
                    fields.LAMBDA_PLATFORM_TYPE: "timeout",
                    fields.LAMBDA_STATUS: "timeout",
                },
                False,
            )
    return (_APPLICATION, {_MESSAGE: message}, False)


_LONG_INTEGER = re.compile(r"[:\[,]\s*(-?[1-9][0-9]{19,})(?![0-9.eE])")
"""A JSON integer literal of 20 digits or more (after ``:``, ``[`` or ``,``; JSON integers have no
leading zeros, so digits inside ids and hex strings rarely look like one)."""
ORIGINAL_KEY = "original"
"""``unmapped`` key holding a JSON line as it came, when parsing it changed a value."""


def _parse_json(raw: str, obj: dict[str, Any]) -> _Result:
    changed = _changed_by_parsing(raw, obj)
    result = _parse_json_shape(raw, obj)
    if changed and result[1].get(_MESSAGE) != raw:
        result[1][fields.UNMAPPED] = dumps({ORIGINAL_KEY: raw}).decode()
    return result


def _changed_by_parsing(raw: str, obj: dict[str, Any]) -> bool:
    """Parsing did not keep every value as written: a key appears twice in one object (the last
    value wins) or an integer is beyond 64 bits (orjson reads it as a float). One walk over the
    parsed values decides whether the exact (slower) checks of the text are needed."""
    keys, big_float = _walk(obj)
    if raw.count('":') != keys and _has_duplicate_keys(raw):
        return True
    return big_float and any(_beyond_64_bits(match.group(1)) for match in _LONG_INTEGER.finditer(raw))


def _walk(obj: dict[str, Any]) -> tuple[int, bool]:
    """The keys of every object in ``obj``, and whether a float as large as a 64-bit integer is
    among its values (iterative: a line can nest 1,000 levels)."""
    keys = 0
    big_float = False
    pending: list[Any] = [obj]
    while pending:
        item = pending.pop()
        if item.__class__ is dict:
            keys += len(item)
            item = item.values()
        for value in item:
            kind = value.__class__
            if kind is dict or kind is list:
                pending.append(value)
            elif kind is float and not -9.2e18 < value < 1.8e19:
                big_float = True
    return keys, big_float


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _has_duplicate_keys(raw: str) -> bool:
    """Exact, and slower: only when counting ``":`` did not match the keys parsed (a duplicate, or
    the same two characters inside a string or with spaces around the colon)."""
    try:
        json.loads(raw, object_pairs_hook=_unique_pairs)
    except _DuplicateKey:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def _beyond_64_bits(digits: str) -> bool:
    if len(digits.lstrip("-")) > 20:  # more digits than 2**64 has (and int() of 4,300+ refuses)
        return True
    return not -(2**63) <= int(digits) <= 2**64 - 1


def _parse_json_shape(raw: str, obj: dict[str, Any]) -> _Result:
    if "_aws" in obj:
        aws = obj["_aws"]
        if isinstance(aws, dict) and "CloudWatchMetrics" in aws:
            return (_APPLICATION, {_MESSAGE: raw, _EXTRA: obj}, True)
    if "type" in obj:
        kind = obj["type"]
        if isinstance(kind, str) and kind.startswith("platform.") and isinstance(obj.get("record"), dict):
            return _parse_platform_json(raw, kind, obj)
    if "routeKey" in obj and "httpMethod" in obj and "requestId" in obj:
        return _parse_access(raw, obj)
    return _parse_application(raw, obj)


def _parse_application(raw: str, obj: dict[str, Any]) -> _Result:
    """Powertools and Lambda JSON lines: the known keys become fields (in ``_APP_KEYS`` order), the
    code's own keys stay together in ``labels``. When two keys map to one field (``requestId`` and
    ``function_request_id``) and disagree, the second value stays in ``labels`` under its key."""
    message = obj.pop(_PT_MESSAGE, None)
    document: dict[str, Any] = {}
    for key, target in _APP_ITEMS:
        if key not in obj:
            continue
        value = obj.pop(key)
        if target in _TYPED_FIELDS:
            value = _coerce(target, value)
        if target in document:
            if document[target] != value:
                obj[key] = value  # both kept: the first as the field, this one as a label
            continue
        document[target] = value
    if message.__class__ is str:
        document[_MESSAGE] = message
    elif message is None:
        document[_MESSAGE] = raw
    else:
        try:
            document[_MESSAGE] = dumps(message).decode()
        except EncodeError:
            document[_MESSAGE] = raw  # a value JSON cannot write back (too deep): the line as it came
    level = document.get(_LOG_LEVEL)
    if level.__class__ is str and not level.isupper():
        document[_LOG_LEVEL] = level.upper()
    if obj:
        document[_EXTRA] = obj
    return (_APPLICATION, document, False)


def _parse_access(raw: str, obj: dict[str, Any]) -> _Result:
    document: dict[str, Any] = {_MESSAGE: raw}
    labels: dict[str, Any] = {}
    for key, value in obj.items():
        if value == "-" or value is None or value == "":
            continue  # API Gateway writes "-" for an empty $context value
        target = _ACCESS_KEYS.get(key)
        if target is None:
            labels[key] = value
        else:
            document[target] = _coerce(target, value)
    if labels:
        document[_EXTRA] = labels
    return (fields.KIND_ACCESS, document, False)


def _parse_platform_json(raw: str, kind: str, obj: dict[str, Any]) -> _Result:
    record: dict[str, Any] = obj["record"]
    document: dict[str, Any] = {_MESSAGE: raw, fields.LAMBDA_PLATFORM_TYPE: kind.removeprefix("platform.")}
    labels: dict[str, Any] = {}
    for key, value in record.items():
        if key == "requestId" and isinstance(value, str):
            document[fields.LAMBDA_REQUEST_ID] = value
        elif key == "metrics" and isinstance(value, dict):
            for metric, number in value.items():
                target = _PLATFORM_METRICS.get(metric)
                if target is None:
                    labels[metric] = number
                else:
                    document[target] = _coerce(target, number)
        elif key == "status" and isinstance(value, str):
            document[fields.LAMBDA_STATUS] = value
        elif key == "errorType" and isinstance(value, str):
            document[fields.ERROR_TYPE] = value
        elif key == "tracing" and isinstance(value, dict) and isinstance(value.get("value"), str):
            root = _TRACE_ROOT.search(value["value"])
            if root:
                document[fields.TRACE_ID] = root.group(1)
            labels["tracing"] = value
        else:
            labels[key] = value
    if labels:
        document[_EXTRA] = labels
    return (_PLATFORM, document, False)


def _parse_platform_text(message: str) -> _Result:
    line = message.rstrip("\n")
    word, _, rest = line.partition(" ")
    document: dict[str, Any] = {_MESSAGE: message, fields.LAMBDA_PLATFORM_TYPE: word.lower()}
    labels: dict[str, Any] = {}
    start_end = _START_END_LINE.match(line) if word in ("START", "END") else None
    if start_end is not None:
        # "START RequestId: <id> Version: $LATEST" / "END RequestId: <id>"
        request_id, version = start_end.groups()
        document[fields.LAMBDA_REQUEST_ID] = request_id
        if version is not None:
            labels["version"] = version
    else:
        report = _REPORT_LINE.match(line) if word == "REPORT" else None
        if report is not None:  # the common REPORT shape, in one regex
            request_id, duration, billed, memory, used, rest = report.groups()
            document[fields.LAMBDA_REQUEST_ID] = request_id
            document[fields.LAMBDA_DURATION_MS] = float(duration)
            document[fields.LAMBDA_BILLED_DURATION_MS] = int(billed)
            document[fields.LAMBDA_MEMORY_SIZE_MB] = int(memory)
            document[fields.LAMBDA_MAX_MEMORY_USED_MB] = int(used)
        # REPORT extras and INIT_*: tab-separated "Key: value [unit]" parts
        for part in rest.replace("\n", "\t").split("\t"):
            key, sep, value = part.partition(": ")
            if not sep:
                continue
            key = key.strip()
            value = value.strip()
            target = _REPORT_PARTS.get(key)
            if target is None:
                labels[key.lower().replace(" ", "_")] = value
                continue
            if target in _INT_FIELDS or target in _FLOAT_FIELDS:
                value = value.split(" ", 1)[0]  # drop the unit
            document[target] = _coerce(target, value)
    if labels:
        document[_EXTRA] = labels
    return (_PLATFORM, document, False)


def _coerce(target: str, value: Any) -> Any:
    """Convert to the mapped type when the value allows it; otherwise keep it as it came.

    A value that cannot be converted stays as it is: if it conflicts with the mapping, delivery
    moves it into ``unmapped`` instead of losing it.
    """
    if target in _INT_FIELDS:
        number: Any = value
        if isinstance(value, str):
            try:
                number = int(value)
            except ValueError:
                try:
                    number = int(float(value))
                except (ValueError, OverflowError):
                    return value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        if isinstance(number, int) and not _LONG_MIN <= number <= _LONG_MAX:
            return value  # beyond a long: kept as it came (OpenSearch's long would refuse it)
        return number
    if target in _FLOAT_FIELDS:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value
    if target in _BOOL_FIELDS and isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return value
