"""How ``obsctl logs`` prints events: one line of text per event, or the whole documents as JSON.

Text: ``TIME LEVEL SOURCE REQUEST-ID MESSAGE`` with fixed-width columns. LEVEL is the log level of an
application line, the kind of a platform line (``START``, ``REPORT``...) and the HTTP status of an
access-log line; SOURCE is the service (the function's name when a line has no service, ``api`` for
access-log lines); REQUEST-ID is the API request id where a line has one, else Lambda's. Colour
(ANSI) only when asked or when writing to a terminal, never with ``NO_COLOR`` set.

JSON: ``search``/``tail``/``request`` print ``{"events": [...]}`` (``request`` adds ``"request"``, its
summary), ``stats`` its counts; the shape is ``obsctl/logs-output.schema.json``. NDJSON: one document
per line. The documents are ``_source`` exactly as stored, plus ``_index``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import IO, Any, Final

import orjson

from obsctl.log_search import Hit
from signals import logs as fields

__all__ = [
    "COLOR_MODES",
    "ID_WIDTH",
    "LEVEL_WIDTH",
    "MESSAGE_WIDTH",
    "OUTPUTS",
    "SOURCE_WIDTH",
    "EventWriter",
    "columns",
    "document",
    "inert",
    "report_figures",
    "report_summary",
    "stats_text",
    "text_line",
    "use_colour",
]

OUTPUTS: Final = ("text", "json", "ndjson")
COLOR_MODES: Final = ("auto", "always", "never")
LEVEL_WIDTH: Final = 11
"""``RUNTIMEDONE``, the longest platform kind."""
SOURCE_WIDTH: Final = 24
ID_WIDTH: Final = 36
"""A Lambda request id (a UUID); API request ids are shorter."""
MESSAGE_WIDTH: Final = 400
"""Text output shortens a message to this many characters (JSON keeps it whole)."""

_RESET = "\033[0m"
_LEVEL_COLOURS: Final = {
    "CRITICAL": "\033[1;31m",
    "ERROR": "\033[31m",
    "WARNING": "\033[33m",
    "WARN": "\033[33m",
    "INFO": "\033[32m",
    "DEBUG": "\033[2m",
    "REPORT": "\033[36m",
    "RUNTIMEDONE": "\033[2m",
    "INIT_START": "\033[2m",
    "INITSTART": "\033[2m",
    "START": "\033[2m",
    "END": "\033[2m",
    "TIMEOUT": "\033[1;31m",
}
_DIM = "\033[2m"


def use_colour(mode: str, stream: IO[str]) -> bool:
    if mode == "never" or (mode == "auto" and os.environ.get("NO_COLOR")):
        return False
    if mode == "always":
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _status_colour(status: int) -> str:
    if status >= 500:
        return "\033[31m"
    if status >= 400:
        return "\033[33m"
    return "\033[32m"


def columns(source: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """(time, level, source, request id, message) of one document."""
    kind = source.get(fields.EVENT_KIND)
    stamp = str(source.get(fields.TIMESTAMP, "-"))
    request_id = str(
        source.get(fields.HTTP_REQUEST_ID)
        or source.get(fields.CORRELATION_ID)
        or source.get(fields.LAMBDA_REQUEST_ID)
        or "-"
    )
    if kind == fields.KIND_ACCESS:
        level = str(source.get(fields.HTTP_STATUS, "-"))
        origin = "api"
        parts = [
            str(source.get(fields.HTTP_METHOD, "-")),
            str(source.get(fields.HTTP_PATH) or source.get(fields.HTTP_ROUTE) or "-"),
            level,
        ]
        if source.get(fields.HTTP_LATENCY_MS) is not None:
            parts.append(f"{_number(source[fields.HTTP_LATENCY_MS])}ms")
        if source.get(fields.HTTP_RESPONSE_BYTES) is not None:
            parts.append(f"{source[fields.HTTP_RESPONSE_BYTES]}B")
        for extra in (fields.ERROR_MESSAGE, fields.HTTP_INTEGRATION_ERROR):
            if source.get(extra):
                parts.append(f"- {source[extra]}")
        message = " ".join(parts)
    else:
        platform = source.get(fields.LAMBDA_PLATFORM_TYPE)
        if kind == fields.KIND_PLATFORM and platform:
            level = str(platform).upper()
        else:
            level = str(source.get(fields.LOG_LEVEL) or "-")
        origin = str(source.get(fields.SERVICE_NAME) or source.get(fields.LAMBDA_FUNCTION_NAME) or "-")
        message = str(source.get(fields.MESSAGE, ""))
        if kind == fields.KIND_PLATFORM:
            message = _platform_message(source, message)
        elif source.get(fields.ERROR_TYPE):
            message = f"{message} [{source[fields.ERROR_TYPE]}]"
    cells = (stamp, level, origin, request_id, _flatten(message))
    return tuple(inert(cell) for cell in cells)  # type: ignore[return-value]


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters: logged data (a request path, a message) must not reach a terminal
as escape sequences (screen clearing, OSC 52 clipboard writes, forged lines)."""


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def inert(text: str) -> str:
    """``text`` with its control characters written out (``\\x1b``), safe to print to a terminal."""
    return _CONTROL.sub(_escape, text)


def _platform_message(source: dict[str, Any], raw: str) -> str:
    """REPORT lines as their figures; Lambda's JSON platform records as their type (and status)."""
    if source.get(fields.LAMBDA_PLATFORM_TYPE) == "report":
        return report_figures(source)
    if raw.lstrip().startswith("{"):
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
        if isinstance(record, dict) and isinstance(record.get("type"), str):
            status = source.get(fields.LAMBDA_STATUS)
            return f"{record['type']}" + (f" status {status}" if status else "")
    return raw


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _flatten(message: str) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= MESSAGE_WIDTH else flat[: MESSAGE_WIDTH - 3] + "..."


def text_line(source: dict[str, Any], colour: bool = False) -> str:
    stamp, level, origin, request_id, message = columns(source)
    level_cell = f"{level:<{LEVEL_WIDTH}}"
    id_cell = f"{request_id:<{ID_WIDTH}}"
    if colour:
        if level.isdigit():
            level_cell = f"{_status_colour(int(level))}{level_cell}{_RESET}"
        elif level.upper() in _LEVEL_COLOURS:
            level_cell = f"{_LEVEL_COLOURS[level.upper()]}{level_cell}{_RESET}"
        stamp = f"{_DIM}{stamp}{_RESET}"
        id_cell = f"{_DIM}{id_cell}{_RESET}"
    return f"{stamp} {level_cell} {origin:<{SOURCE_WIDTH}} {id_cell} {message}"


def document(hit: Hit) -> dict[str, Any]:
    return {**hit.source, "_index": hit.index}


def _dumps(value: Any, indent: bool) -> str:
    option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(value, option=option).decode()


class EventWriter:
    """Writes events as they come (so ``tail`` and long searches stream), in one output format."""

    def __init__(self, out: IO[str], output: str, colour: bool = False) -> None:
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}")
        self.out = out
        self.output = output
        self.colour = colour
        self.count = 0
        self._open = False

    def write(self, hit: Hit) -> None:
        if self.output == "text":
            self.out.write(text_line(hit.source, self.colour) + "\n")
        elif self.output == "ndjson":
            self.out.write(_dumps(document(hit), indent=False) + "\n")
        else:
            self.out.write('{\n  "events": [\n    ' if not self._open else ",\n    ")
            self._open = True
            self.out.write(_dumps(document(hit), indent=False))
        self.count += 1
        self.out.flush()

    def write_all(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            self.write(hit)

    def close(self, extra: dict[str, Any] | None = None) -> None:
        """Ends a JSON document (``extra`` keys after ``events``); nothing to do for text/ndjson."""
        if self.output != "json":
            return
        self.out.write("\n  ]" if self._open else '{\n  "events": []')
        for key, value in sorted((extra or {}).items()):
            self.out.write(f",\n  {_dumps(key, False)}: {_dumps(value, indent=False)}")
        self.out.write("\n}\n")
        self.out.flush()


def report_figures(report: dict[str, Any]) -> str:
    """Duration, billed duration, memory, init/restore duration and status of one REPORT."""
    parts = []
    if fields.LAMBDA_DURATION_MS in report:
        parts.append(f"duration {_number(report[fields.LAMBDA_DURATION_MS])} ms")
    if fields.LAMBDA_BILLED_DURATION_MS in report:
        parts.append(f"billed {report[fields.LAMBDA_BILLED_DURATION_MS]} ms")
    if fields.LAMBDA_MAX_MEMORY_USED_MB in report or fields.LAMBDA_MEMORY_SIZE_MB in report:
        used = report.get(fields.LAMBDA_MAX_MEMORY_USED_MB, "?")
        size = report.get(fields.LAMBDA_MEMORY_SIZE_MB, "?")
        parts.append(f"memory {used}/{size} MB")
    if fields.LAMBDA_INIT_DURATION_MS in report:
        parts.append(f"init {_number(report[fields.LAMBDA_INIT_DURATION_MS])} ms (cold start)")
    if fields.LAMBDA_RESTORE_DURATION_MS in report:
        parts.append(f"restore {_number(report[fields.LAMBDA_RESTORE_DURATION_MS])} ms")
    if fields.LAMBDA_STATUS in report:
        parts.append(f"status {report[fields.LAMBDA_STATUS]}")
    return ", ".join(parts)


def report_summary(reports: list[dict[str, Any]]) -> list[str]:
    """One line per REPORT: its Lambda request id, then its figures."""
    return [inert(f"REPORT {r.get(fields.LAMBDA_REQUEST_ID) or '-'}: {report_figures(r)}") for r in reports]


def stats_text(stats: dict[str, Any], group_label: str, width: int = 40) -> list[str]:
    """The counts per group, then a bar per time bucket."""
    lines = [f"{stats['total']} events"]
    groups = [{**g, "key": inert(str(g["key"]))} for g in stats["groups"]]
    if groups:
        key_width = max(len(str(g["key"])) for g in groups)
        lines.append(f"by {group_label}:")
        lines.extend(f"  {g['key']!s:<{key_width}}  {g['count']}" for g in groups)
        if stats.get("other"):
            lines.append(f"  {'(other)':<{key_width}}  {stats['other']}")
    buckets = stats["over_time"]
    if buckets:
        peak = max(b["count"] for b in buckets) or 1
        lines.append(f"over time ({stats['interval_seconds']} s per bar):")
        for bucket in buckets:
            bar = "#" * round(bucket["count"] / peak * width) if bucket["count"] else ""
            if bucket["count"] and not bar:
                bar = "."
            lines.append(f"  {bucket['start']}  {bar:<{width}} {bucket['count']}")
    return lines
