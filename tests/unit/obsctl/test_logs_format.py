"""``obsctl logs`` output formats: golden text lines for the shipper's documents, JSON by schema.

The documents are what the shipper's own transform makes of the canned CloudWatch payloads in
``tests/events`` (function lines in text format, Lambda's JSON format, the API's access log).
Regenerate the golden files after an intended change with ``OBS_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from log_pipeline.documents import build_batch
from obsctl.log_format import EventWriter, report_summary, stats_text, text_line, use_colour
from obsctl.log_search import Hit, RequestStory
from signals import logs as fields

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "tests" / "events"
GOLDEN = Path(__file__).with_name("golden")
SCHEMA = json.loads((ROOT / "obsctl" / "logs-output.schema.json").read_text())
SAMPLES = ("cloudwatch_function_logs.json", "cloudwatch_platform_json.json", "cloudwatch_access_logs.json")


def _hits() -> list[Hit]:
    hits = []
    for name in SAMPLES:
        payload = json.loads((EVENTS / name).read_text())
        for action in build_batch(payload, region="eu-west-1").actions:
            hits.append(Hit(action.index, dict(action.doc), []))
    return hits


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OBS_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize(("colour", "golden"), [(False, "logs_text.txt"), (True, "logs_text_colour.txt")])
def test_text_lines_match_the_golden_file(colour, golden):
    out = io.StringIO()
    writer = EventWriter(out, "text", colour)
    writer.write_all(_hits())
    writer.close()
    _check_golden(golden, out.getvalue())


def test_a_line_per_event_whatever_the_message():
    source = {
        fields.TIMESTAMP: "2026-12-02T10:00:00.000Z",
        fields.EVENT_KIND: "application",
        fields.MESSAGE: "a\nb\tc" + "x" * 500,
    }
    line = text_line(source)
    assert "\n" not in line and line.endswith("...")
    assert line.startswith("2026-12-02T10:00:00.000Z -           -" + " " * 24 + "-" + " " * 36 + "a b cxxx")


def test_report_summary_golden():
    story = RequestStory("6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60", _hits())
    _check_golden("logs_reports.txt", "\n".join(report_summary(story.reports())) + "\n")


@pytest.mark.parametrize("output", ["json", "ndjson"])
def test_json_keeps_whole_documents(output):
    hits = _hits()
    out = io.StringIO()
    writer = EventWriter(out, output)
    writer.write_all(hits)
    writer.close({"count": writer.count})
    if output == "json":
        document = json.loads(out.getvalue())
        jsonschema.validate(document, SCHEMA)
        events: list[dict[str, Any]] = document["events"]
    else:
        events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert events == [{**hit.source, "_index": hit.index} for hit in hits]


def test_empty_json_is_valid():
    out = io.StringIO()
    writer = EventWriter(out, "json")
    writer.close({"count": 0})
    document = json.loads(out.getvalue())
    jsonschema.validate(document, SCHEMA)
    assert document == {"events": [], "count": 0}


def test_request_summary_matches_the_schema():
    story = RequestStory("x", _hits())
    jsonschema.validate({"events": [], "count": 0, "request": story.summary()}, SCHEMA)


def test_stats_text_has_counts_and_bars():
    stats = {
        "total": 6,
        "groups": [{"key": "ERROR", "count": 4}, {"key": "INFO", "count": 2}],
        "other": 0,
        "interval_seconds": 60,
        "over_time": [
            {"start": "2026-12-02T10:00:00.000Z", "count": 4},
            {"start": "2026-12-02T10:01:00.000Z", "count": 2},
        ],
    }
    assert stats_text(stats, "level", width=8) == [
        "6 events",
        "by level:",
        "  ERROR  4",
        "  INFO   2",
        "over time (60 s per bar):",
        "  2026-12-02T10:00:00.000Z  ######## 4",
        "  2026-12-02T10:01:00.000Z  ####     2",
    ]


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_colour_only_on_a_terminal_or_when_asked(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour("auto", _Stream(True)) and not use_colour("auto", _Stream(False))
    assert use_colour("always", _Stream(False)) and not use_colour("never", _Stream(True))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour("auto", _Stream(True))


def test_control_characters_in_logged_data_cannot_drive_the_terminal():
    # An attacker controls the request path and what the function logs: escape sequences in them
    # (clear screen, OSC 52 clipboard write, a fake line) must reach the terminal inert.
    source = {
        fields.TIMESTAMP: "2026-12-02T10:00:00.000Z",
        fields.EVENT_KIND: fields.KIND_ACCESS,
        fields.HTTP_METHOD: "GET",
        fields.HTTP_PATH: "/\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07",
        fields.HTTP_STATUS: 404,
        fields.HTTP_REQUEST_ID: "id\x1b[1A\rERROR forged",
    }
    for colour in (False, True):
        line = text_line(source, colour)
        plain = line.replace("\033[2m", "").replace("\033[0m", "").replace("\033[33m", "")
        assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in plain), repr(line)
        assert "\\x1b[2J" in plain and "\\x07" in plain and "\\r" in plain
    message = {
        fields.TIMESTAMP: "t",
        fields.EVENT_KIND: "application",
        fields.MESSAGE: "ok\x9b31mred",
        fields.SERVICE_NAME: "\x1b[31m",
    }
    assert "\x9b" not in text_line(message) and "\x1b" not in text_line(message)


def test_request_summary_and_stats_lines_are_inert_too():
    from obsctl.commands.logs import request_summary_lines

    forged = {
        fields.TIMESTAMP: "t",
        fields.EVENT_KIND: fields.KIND_ACCESS,
        fields.HTTP_REQUEST_ID: "a\x1b]0;pwned\x07",
        fields.HTTP_STATUS: 200,
    }
    story = RequestStory("a", [Hit("i", forged, [])], api_request_ids={"a\x1b]0;pwned\x07"})
    lines = request_summary_lines(story)
    assert "-- API request id: a\\x1b]0;pwned\\x07" in lines
    stats = {"total": 1, "groups": [{"key": "\x1b[2J", "count": 1}], "other": 0, "over_time": []}
    assert stats_text(stats, "service")[2] == "  \\x1b[2J  1"
