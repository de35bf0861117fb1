"""The catalog's log metric filters count exactly the lines the function, Lambda and the shipper print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts import catalog
from alerts.filterpattern import PatternError, matches

ROOT = Path(__file__).resolve().parents[3]
FUNCTION_LOGS = json.loads((ROOT / "tests" / "events" / "cloudwatch_function_logs.json").read_text())
FILTERS = {f.name: f for f in catalog.LOG_METRIC_FILTERS}


def _matching(filter_name: str, messages: list[str]) -> list[str]:
    return [m for m in messages if matches(FILTERS[filter_name].pattern, m)]


def test_application_errors_count_powertools_error_lines_only():
    messages = [e["message"] for e in FUNCTION_LOGS["logEvents"]]
    hits = _matching("function-error-lines", messages)
    assert len(hits) == 1
    assert json.loads(hits[0])["message"] == "S3 listing failed"  # not the runtime's plain "[ERROR]" line


def test_task_timeouts_count_lambdas_timeout_line():
    messages = [e["message"] for e in FUNCTION_LOGS["logEvents"]]
    hits = _matching("function-task-timeouts", messages)
    assert len(hits) == 1 and "Task timed out after 3.00 seconds" in hits[0]


def test_shipper_dead_letter_filter_matches_the_shippers_summary_line():
    from log_pipeline.observability import InvocationStats, summary_record

    stats = InvocationStats()
    healthy = json.dumps(summary_record(stats, "req-1"), default=str)
    stats.docs_dead_lettered = 3
    dead = json.dumps(summary_record(stats, "req-2"), default=str)
    assert _matching("shipper-dead-letter-lines", [healthy, dead]) == [dead]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ('{ $.level = "ERROR" }', '{"level": "ERROR"}', True),
        ('{ $.level = "ERR*" }', '{"level": "ERROR"}', True),
        ('{ $.level != "ERROR" }', '{"level": "INFO"}', True),
        ('{ $.a.b > 5 && $.c = "x" }', '{"a": {"b": 7}, "c": "x"}', True),
        ('{ $.a.b > 5 && $.c = "x" }', '{"a": {"b": 3}, "c": "x"}', False),
        ("{ $.a = 1 || $.b = 2 }", '{"b": 2}', True),
        ('{ $.level = "ERROR" }', "level ERROR as text", False),
        ('{ $.level = "ERROR" }', '["not", "an", "object"]', False),
        ('"Task timed out"', "x Task timed out after 3.00 seconds", True),
        ('"Task timed out"', "task timed out", False),
        ("ERROR S3", "ERROR talking to S3", True),
        ("", "anything", True),
    ],
)
def test_filter_pattern_subset(pattern, message, expected):
    assert matches(pattern, message) is expected


@pytest.mark.parametrize(
    "pattern", ['{ $.a = "x"', '{ ($.a = "x") }', '{ $.a ~ "x" }', '{ $.a > "x" }', '"open']
)
def test_unsupported_patterns_fail_loudly(pattern):
    with pytest.raises(PatternError):
        matches(pattern, '{"a": "x"}')
