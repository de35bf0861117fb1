"""Turn one CloudWatch log message into document fields. Never raises, never drops text.

Recognised shapes, tried cheapest first (the first character and a prefix decide):
Powertools JSON lines and Lambda's JSON application lines, EMF lines (top-level ``_aws``), other
JSON, Lambda platform lines in text (``START``/``END``/``REPORT``/``INIT_START``...) and JSON
(``"type": "platform.report"``...), the runtime's ``Task timed out`` line, the Python runtime's
``[LEVEL]\\ttime\\trequest-id\\tmessage`` text lines, and API Gateway access-log JSON lines. Anything
else is plain text kept whole in ``message``. Keys nobody mapped go into ``labels`` (flat_object).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from log_pipeline.encoding import dumps
from signals import logs as f

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
    f.PT_LEVEL: f.LOG_LEVEL,
    f.PT_LOCATION: f.CODE_LOCATION,
    f.PT_SERVICE: f.SERVICE_NAME,
    f.PT_COLD_START: f.LAMBDA_COLD_START,
    f.PT_FUNCTION_NAME: f.LAMBDA_FUNCTION_NAME,
    f.PT_FUNCTION_MEMORY: f.LAMBDA_MEMORY_SIZE_MB,
    f.PT_REQUEST_ID: f.LAMBDA_REQUEST_ID,
    "requestId": f.LAMBDA_REQUEST_ID,  # Lambda's own JSON log format
    "logger": f.LOG_LOGGER,  # Lambda's own JSON log format
    f.PT_CORRELATION_ID: f.CORRELATION_ID,
    f.PT_XRAY_TRACE_ID: f.TRACE_ID,
    f.PT_EXCEPTION: f.ERROR_STACK_TRACE,
    f.PT_EXCEPTION_NAME: f.ERROR_TYPE,
    f.APP_CALLER_ARN: f.CALLER_ARN,
    f.APP_CALLER_ACCOUNT: f.CALLER_ACCOUNT,
    f.APP_ROUTE: f.HTTP_ROUTE,
    f.APP_STATUS: f.HTTP_STATUS,
}
_INT_FIELDS = frozenset(
    {
        f.LAMBDA_MEMORY_SIZE_MB,
        f.LAMBDA_BILLED_DURATION_MS,
        f.LAMBDA_MAX_MEMORY_USED_MB,
        f.HTTP_STATUS,
        f.HTTP_RESPONSE_BYTES,
    }
)
_FLOAT_FIELDS = frozenset(
    {
        f.LAMBDA_DURATION_MS,
        f.LAMBDA_INIT_DURATION_MS,
        f.LAMBDA_RESTORE_DURATION_MS,
        f.HTTP_LATENCY_MS,
        f.HTTP_INTEGRATION_LATENCY_MS,
    }
)
_BOOL_FIELDS = frozenset({f.LAMBDA_COLD_START})
_APP_ITEMS = tuple(_APP_KEYS.items())
_APP_TYPED_TARGETS = tuple(
    sorted({target for target in _APP_KEYS.values() if target in _INT_FIELDS | _FLOAT_FIELDS | _BOOL_FIELDS})
)

# Access-log keys: everything ACCESS_LOG_TO_FIELD maps, plus the error message.
_ACCESS_KEYS: _FieldMap = {**f.ACCESS_LOG_TO_FIELD, "errorMessage": f.ERROR_MESSAGE}
_ACCESS_MARKERS = ("requestId", "httpMethod", "routeKey")

# Platform JSON (``platform.*`` events): record.metrics keys -> fields.
_PLATFORM_METRICS: _FieldMap = {
    "durationMs": f.LAMBDA_DURATION_MS,
    "billedDurationMs": f.LAMBDA_BILLED_DURATION_MS,
    "memorySizeMB": f.LAMBDA_MEMORY_SIZE_MB,
    "maxMemoryUsedMB": f.LAMBDA_MAX_MEMORY_USED_MB,
    "initDurationMs": f.LAMBDA_INIT_DURATION_MS,
    "restoreDurationMs": f.LAMBDA_RESTORE_DURATION_MS,
}
# Platform text REPORT parts ("Key: value unit") -> fields.
_REPORT_PARTS: _FieldMap = {
    "RequestId": f.LAMBDA_REQUEST_ID,
    "Duration": f.LAMBDA_DURATION_MS,
    "Billed Duration": f.LAMBDA_BILLED_DURATION_MS,
    "Memory Size": f.LAMBDA_MEMORY_SIZE_MB,
    "Max Memory Used": f.LAMBDA_MAX_MEMORY_USED_MB,
    "Init Duration": f.LAMBDA_INIT_DURATION_MS,
    "Restore Duration": f.LAMBDA_RESTORE_DURATION_MS,
    "Status": f.LAMBDA_STATUS,
    "Error Type": f.ERROR_TYPE,
    "XRAY TraceId": f.TRACE_ID,
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
_START_END_PREFIXES = ("START RequestId: ", "END RequestId: ")
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
        f.MESSAGE,
        f.EXTRA,
        f.LOG_LEVEL,
        f.LAMBDA_REQUEST_ID,
        f.LAMBDA_PLATFORM_TYPE,
        f.LAMBDA_STATUS,
        f.ERROR_TYPE,
        f.TRACE_ID,
    }
)
"""Every document key parsing can produce (the batch adds the others)."""

# Names the hot paths use, bound once at import.
_MESSAGE, _EXTRA, _LOG_LEVEL, _PT_MESSAGE = f.MESSAGE, f.EXTRA, f.LOG_LEVEL, f.PT_MESSAGE
_APPLICATION, _PLATFORM = f.KIND_APPLICATION, f.KIND_PLATFORM
_PLATFORM_TYPE, _REQUEST_ID = f.LAMBDA_PLATFORM_TYPE, f.LAMBDA_REQUEST_ID
_DURATION, _BILLED = f.LAMBDA_DURATION_MS, f.LAMBDA_BILLED_DURATION_MS
_MEMORY, _MAX_MEMORY = f.LAMBDA_MEMORY_SIZE_MB, f.LAMBDA_MAX_MEMORY_USED_MB


def parse_message(message: str) -> Parsed:
    """Classify and parse one message; any text yields a document (plain text in the worst case)."""
    kind, fields, emf = parse_fields(message)
    return Parsed(kind, fields, emf)


def parse_fields(message: str) -> _Result:
    """``parse_message`` as a plain tuple: the batch loop's hot path (no NamedTuple per line).

    The shapes of most lines (JSON, and the START/END/REPORT lines of every invocation) are
    recognised first by a prefix; each fast path builds exactly what the general code below
    would (same fields, same order), and anything unusual falls through to it.
    """
    head = message[:1]  # one slice, then comparisons (cheaper than a startswith per shape)
    if head == "{":
        try:
            obj = orjson.loads(message)
        except orjson.JSONDecodeError:
            return (_APPLICATION, {_MESSAGE: message}, False)
        if obj.__class__ is not dict:
            return (_APPLICATION, {_MESSAGE: message}, False)
        shape = tuple(obj)
        compiled = _SHAPE_PARSERS.get(shape)
        if compiled is not None:  # a repeated application shape: one generated function
            return (_APPLICATION, compiled(obj, message), False)
        if "_aws" in obj or "type" in obj or "routeKey" in obj:
            return _parse_json(message, obj)
        _count_shape(shape)
        return _parse_application(message, obj)  # what _parse_json concludes without those keys
    if head == "S" or head == "E":
        if not message.startswith(_START_END_PREFIXES):
            return _parse_general(message)
        start_end = _START_END_LINE.match(message)  # "\s*$" absorbs the newline rstrip removes
        if start_end is not None:
            request_id, version = start_end.groups()
            found: dict[str, Any] = {
                _MESSAGE: message,
                _PLATFORM_TYPE: "start" if message[0] == "S" else "end",
                _REQUEST_ID: request_id,
            }
            if version is not None:
                found[_EXTRA] = {"version": version}
            return (_PLATFORM, found, False)
    elif head == "R":
        report = _REPORT_LINE.match(message) if message.startswith("REPORT RequestId: ") else None
        if report is None:
            return _parse_general(message)
        request_id, duration, billed, memory, used, rest = report.groups()
        if ": " not in rest:
            # The common REPORT shape (no XRAY/Init parts): one regex.
            return (
                _PLATFORM,
                {
                    _MESSAGE: message,
                    _PLATFORM_TYPE: "report",
                    _REQUEST_ID: request_id,
                    _DURATION: float(duration),
                    _BILLED: int(billed),
                    _MEMORY: int(memory),
                    _MAX_MEMORY: int(used),
                },
                False,
            )
    elif "a" <= head <= "z" and _TIMEOUT_MARKER not in message:
        return (_APPLICATION, {_MESSAGE: message}, False)  # plain text: no other shape starts so
    return _parse_general(message)


def _parse_general(message: str) -> _Result:
    head = message.lstrip()[:1]
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
                {_MESSAGE: text.rstrip("\n"), f.LOG_LEVEL: level, f.LAMBDA_REQUEST_ID: request_id},
                False,
            )
    elif _TIMEOUT_MARKER in message:
        timeout = _TIMEOUT_LINE.match(message)
        if timeout:
            return (
                _PLATFORM,
                {
                    _MESSAGE: message,
                    f.LAMBDA_REQUEST_ID: timeout.group(1),
                    f.LAMBDA_PLATFORM_TYPE: "timeout",
                    f.LAMBDA_STATUS: "timeout",
                },
                False,
            )
    return (_APPLICATION, {_MESSAGE: message}, False)


def _parse_json(raw: str, obj: dict[str, Any]) -> _Result:
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


class _AppPlan(NamedTuple):
    """How to map one shape (key sequence) of application line; lines of a batch share a few shapes."""

    take: Callable[[Callable[[str], Any]], dict[str, Any]]
    """Pops the application keys present (given ``obj.pop``), returns them as document fields."""
    typed: tuple[str, ...]
    """Targets present that ``_coerce`` may convert (from strings)."""


_APP_PLANS: dict[tuple[str, ...], _AppPlan] = {}
_APP_PLANS_MAX = 512
"""Bound on cached shapes (arbitrary JSON lines could otherwise grow the cache without limit)."""
_TAKERS: dict[tuple[str, ...], Callable[[Callable[[str], Any]], dict[str, Any]]] = {}
"""Field builders by the set of application keys present (at most one per subset of _APP_KEYS)."""


def _taker(keys: tuple[str, ...]) -> Callable[[Callable[[str], Any]], dict[str, Any]]:
    """A function ``pop -> {target: pop(key), ...}`` for these keys, in ``_APP_ITEMS`` order.

    Generated once per key set (like ``collections.namedtuple`` does), from the constant names in
    ``_APP_KEYS`` only (never from log text): one dict display is about twice as fast as
    ``dict(zip(targets, map(pop, keys)))``, on the path of every application line. A repeated
    target keeps its first position and its last value, as successive assignments would.
    """
    taker = _TAKERS.get(keys)
    if taker is None:
        entries = ", ".join(f"{_APP_KEYS[key]!r}: pop({key!r})" for key in keys)
        namespace: dict[str, Any] = {}
        exec(f"def take(pop):\n    return {{{entries}}}\n", namespace)  # noqa: S102 - constant names
        taker = _TAKERS[keys] = namespace["take"]
    return taker


def _app_plan(shape: tuple[str, ...]) -> _AppPlan:
    present = set(shape)
    keys = tuple(key for key, _target in _APP_ITEMS if key in present)
    targets = {_APP_KEYS[key] for key in keys}
    plan = _AppPlan(_taker(keys), tuple(target for target in _APP_TYPED_TARGETS if target in targets))
    if len(_APP_PLANS) >= _APP_PLANS_MAX:
        _APP_PLANS.clear()
    _APP_PLANS[shape] = plan
    return plan


def _parse_application(raw: str, obj: dict[str, Any]) -> _Result:
    # Hot path (most lines): pop the known keys; what remains are the code's own keys (labels).
    # Fields come in _APP_ITEMS order; the per-shape plan replaces one membership test per key.
    message = obj.pop(_PT_MESSAGE, None)
    shape = tuple(obj)
    plan = _APP_PLANS.get(shape) or _app_plan(shape)
    fields = plan.take(obj.pop)
    for target in plan.typed:
        value = fields[target]
        if value.__class__ is str:
            if target in _INT_FIELDS:  # the common case ("function_memory_size": "256") inline
                try:
                    fields[target] = int(value)
                    continue
                except ValueError:
                    pass
            fields[target] = _coerce(target, value)
    if message.__class__ is str:
        fields[_MESSAGE] = message
    elif message is None:
        fields[_MESSAGE] = raw
    else:
        fields[_MESSAGE] = dumps(message).decode()
    if _LOG_LEVEL in fields:
        level = fields[_LOG_LEVEL]
        if level.__class__ is str and not level.isupper():
            fields[_LOG_LEVEL] = level.upper()
    if obj:
        fields[_EXTRA] = obj
    return (_APPLICATION, fields, False)


_ShapeParser = Callable[[dict[str, Any], str], dict[str, Any]]
_SHAPE_PARSERS: dict[tuple[str, ...], _ShapeParser] = {}
"""Generated ``_parse_application`` for one exact key sequence (``message`` included), made when a
shape is seen a second time; lines of a batch share a few shapes."""
_SHAPES_SEEN: dict[tuple[str, ...], None] = {}
_SHAPE_CODE: dict[str, Callable[[tuple[str, ...]], _ShapeParser]] = {}
"""Compiled factories by generated source (shapes that differ only in label names share one)."""
_SHAPE_KEYS_MAX = 64
"""Longer shapes stay on the general path (the generated code unpacks every value into a local)."""


def _count_shape(shape: tuple[str, ...]) -> None:
    """Note an application shape; the second time it is seen, generate its parser."""
    if shape in _SHAPES_SEEN:
        if len(_SHAPE_PARSERS) >= _APP_PLANS_MAX:
            _SHAPE_PARSERS.clear()
        _SHAPE_PARSERS[shape] = _shape_parser(shape)
        return
    if len(_SHAPES_SEEN) >= _APP_PLANS_MAX:
        _SHAPES_SEEN.clear()
    if 0 < len(shape) <= _SHAPE_KEYS_MAX and not ({"_aws", "type", "routeKey"} & set(shape)):
        _SHAPES_SEEN[shape] = None


def _shape_parser(shape: tuple[str, ...]) -> _ShapeParser:
    """``_parse_application``'s fields for lines of exactly this key sequence, in one function.

    Same fields, same order, same conversions as ``_parse_application`` (which pops the keys):
    the values are unpacked in the line's order, the mapped ones go into one dict display in
    ``_APP_ITEMS`` order (a repeated target keeps its first position and its last value), then the
    typed values, ``message``, the level and the remaining keys (labels, in the line's order).
    The source holds only constant names from the key tables and positions: the label names of
    the line are passed in as a tuple, never written into the code.
    """
    position = {key: index for index, key in enumerate(shape)}
    entries: list[str] = []
    final: dict[str, int] = {}  # target -> position of the value it ends with
    for key, target in _APP_ITEMS:
        if key in position:
            entries.append(f"{target!r}: v{position[key]}")
            final[target] = position[key]
    lines = [
        "def make(labels):",
        "    def parse(obj, raw):",
        f"        {''.join(f'v{index}, ' for index in range(len(shape)))}= obj.values()",
        f"        fields = {{{', '.join(entries)}}}",
    ]
    for target in _APP_TYPED_TARGETS:
        if target in final:
            value = f"v{final[target]}"
            lines.append(f"        if {value}.__class__ is str:")
            if target in _INT_FIELDS:
                lines += [
                    "            try:",
                    f"                fields[{target!r}] = int({value})",
                    "            except ValueError:",
                    f"                fields[{target!r}] = coerce({target!r}, {value})",
                ]
            else:
                lines.append(f"            fields[{target!r}] = coerce({target!r}, {value})")
    if _PT_MESSAGE in position:
        value = f"v{position[_PT_MESSAGE]}"
        lines += [
            f"        if {value}.__class__ is str:",
            f"            fields[{_MESSAGE!r}] = {value}",
            f"        elif {value} is None:",
            f"            fields[{_MESSAGE!r}] = raw",
            "        else:",
            f"            fields[{_MESSAGE!r}] = dumps({value}).decode()",
        ]
    else:
        lines.append(f"        fields[{_MESSAGE!r}] = raw")
    if _LOG_LEVEL in final:
        value = f"v{final[_LOG_LEVEL]}"
        lines += [
            f"        if {value}.__class__ is str and not {value}.isupper():",
            f"            fields[{_LOG_LEVEL!r}] = {value}.upper()",
        ]
    rest = [index for index, key in enumerate(shape) if key not in _APP_KEYS and key != _PT_MESSAGE]
    if rest:
        labels = ", ".join(f"labels[{n}]: v{index}" for n, index in enumerate(rest))
        lines.append(f"        fields[{_EXTRA!r}] = {{{labels}}}")
    lines += ["        return fields", "    return parse", ""]
    source = "\n".join(lines)
    factory = _SHAPE_CODE.get(source)
    if factory is None:
        if len(_SHAPE_CODE) >= _APP_PLANS_MAX:
            _SHAPE_CODE.clear()
        namespace: dict[str, Any] = {"coerce": _coerce, "dumps": dumps}
        exec(source, namespace)  # noqa: S102 - constant names and positions only
        factory = _SHAPE_CODE[source] = namespace["make"]
    return factory(tuple(shape[index] for index in rest))


def _parse_access(raw: str, obj: dict[str, Any]) -> _Result:
    fields: dict[str, Any] = {_MESSAGE: raw}
    labels: dict[str, Any] = {}
    for key, value in obj.items():
        if value == "-" or value is None or value == "":
            continue  # API Gateway writes "-" for an empty $context value
        target = _ACCESS_KEYS.get(key)
        if target is None:
            labels[key] = value
        else:
            fields[target] = _coerce(target, value)
    if labels:
        fields[_EXTRA] = labels
    return (f.KIND_ACCESS, fields, False)


def _parse_platform_json(raw: str, kind: str, obj: dict[str, Any]) -> _Result:
    record: dict[str, Any] = obj["record"]
    fields: dict[str, Any] = {_MESSAGE: raw, f.LAMBDA_PLATFORM_TYPE: kind.removeprefix("platform.")}
    labels: dict[str, Any] = {}
    for key, value in record.items():
        if key == "requestId" and isinstance(value, str):
            fields[f.LAMBDA_REQUEST_ID] = value
        elif key == "metrics" and isinstance(value, dict):
            for metric, number in value.items():
                target = _PLATFORM_METRICS.get(metric)
                if target is None:
                    labels[metric] = number
                else:
                    fields[target] = _coerce(target, number)
        elif key == "status" and isinstance(value, str):
            fields[f.LAMBDA_STATUS] = value
        elif key == "errorType" and isinstance(value, str):
            fields[f.ERROR_TYPE] = value
        elif key == "tracing" and isinstance(value, dict) and isinstance(value.get("value"), str):
            root = _TRACE_ROOT.search(value["value"])
            if root:
                fields[f.TRACE_ID] = root.group(1)
            labels["tracing"] = value
        else:
            labels[key] = value
    if labels:
        fields[_EXTRA] = labels
    return (_PLATFORM, fields, False)


def _parse_platform_text(message: str) -> _Result:
    line = message.rstrip("\n")
    word, _, rest = line.partition(" ")
    fields: dict[str, Any] = {_MESSAGE: message, _PLATFORM_TYPE: word.lower()}
    labels: dict[str, Any] = {}
    start_end = _START_END_LINE.match(line) if word in ("START", "END") else None
    if start_end is not None:
        # "START RequestId: <id> Version: $LATEST" / "END RequestId: <id>"
        request_id, version = start_end.groups()
        fields[_REQUEST_ID] = request_id
        if version is not None:
            labels["version"] = version
    else:
        report = _REPORT_LINE.match(line) if word == "REPORT" else None
        if report is not None:  # the common REPORT shape, in one regex
            request_id, duration, billed, memory, used, rest = report.groups()
            fields[_REQUEST_ID] = request_id
            fields[_DURATION] = float(duration)
            fields[_BILLED] = int(billed)
            fields[_MEMORY] = int(memory)
            fields[_MAX_MEMORY] = int(used)
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
            fields[target] = _coerce(target, value)
    if labels:
        fields[_EXTRA] = labels
    return (_PLATFORM, fields, False)


def _coerce(target: str, value: Any) -> Any:
    """Convert to the mapped type when the value allows it; otherwise keep it as it came.

    A value that cannot be converted stays as it is: if it conflicts with the mapping, delivery
    moves it into ``unmapped`` instead of losing it.
    """
    if target in _INT_FIELDS:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                try:
                    return int(float(value))
                except (ValueError, OverflowError):
                    return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
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
