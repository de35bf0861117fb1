"""``obsctl logs`` against a real OpenSearch node holding documents the real shipper produced.

The corpus (tests/integration/logs_corpus.py) lives on a UTC day of its own, so its index pattern
(``logs-*-YYYY.MM.DD``) holds nothing else; ``tail`` and ``--since`` use documents shipped now under a
service name of their own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from obsctl.cli import main
from obsctl.log_search import Filters, Searcher, tail
from obsctl.opensearch_client import Target, build_client
from signals import logs as fields
from tests.integration.logs_corpus import Corpus, build_corpus, ship_now

pytestmark = pytest.mark.integration

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "obsctl" / "logs-output.schema.json").read_text())


@pytest.fixture(scope="module")
def corpus(opensearch_url: str) -> Corpus:
    return build_corpus(opensearch_url, rounds=6)


def run(
    capsys: pytest.CaptureFixture[str], corpus: Corpus, *argv: str, window: bool = True
) -> tuple[int, str, str]:
    args = ["logs", *argv, "--endpoint", corpus.url, "--index", corpus.index]
    if window and argv[0] in ("search", "stats"):
        args += ["--from", corpus.start.isoformat(), "--to", corpus.end.isoformat()]
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def events(capsys, corpus, *argv: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, corpus, *argv, "--output", "json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return list(document["events"])


def test_search_returns_every_document_newest_first(capsys, corpus):
    expected = corpus.search_all()
    got = events(capsys, corpus, "search", "--limit", "1000")
    assert len(got) == corpus.indexed == len(expected) == 6 * 16
    stamps = [doc[fields.TIMESTAMP] for doc in got]
    assert stamps == sorted(stamps, reverse=True)
    # whole documents: every stored field comes back unchanged
    by_event = {doc[fields.CW_EVENT_ID]: doc for doc in expected}
    for doc in got:
        assert {k: v for k, v in doc.items() if k != "_index"} == by_event[doc[fields.CW_EVENT_ID]]


def test_asc_is_oldest_first_and_limit_applies(capsys, corpus):
    got = events(capsys, corpus, "search", "--asc", "--limit", "5")
    assert [doc[fields.TIMESTAMP] for doc in got] == sorted(d[fields.TIMESTAMP] for d in corpus.search_all())[
        :5
    ]


@pytest.mark.parametrize("ascending", [False, True])
def test_paging_across_pages_equals_one_page(capsys, corpus, ascending):
    order = ["--asc"] if ascending else []
    one_page = events(capsys, corpus, "search", "--limit", "1000", *order)
    paged = events(capsys, corpus, "search", "--limit", "1000", "--page-size", "7", *order)
    assert [d[fields.CW_EVENT_ID] for d in paged] == [d[fields.CW_EVENT_ID] for d in one_page]
    partial = events(capsys, corpus, "search", "--limit", "30", "--page-size", "7", *order)
    assert [d[fields.CW_EVENT_ID] for d in partial] == [d[fields.CW_EVENT_ID] for d in one_page[:30]]


def test_paging_without_point_in_time_matches(corpus):
    # OpenSearch Serverless has no point in time: the same pages from plain search_after.
    client = build_client(Target(corpus.url, "none"))
    filters = Filters(start=corpus.start, end=corpus.end)
    with_pit = Searcher(client, Target(corpus.url, "none"), index=corpus.index, page_size=5)
    without = Searcher(client, _NoPit(corpus.url, "none"), index=corpus.index, page_size=5)
    a = [h.key for h in with_pit.events(filters, limit=1000)]
    b = [h.key for h in without.events(filters, limit=1000)]
    assert a == b and len(a) == corpus.indexed


class _NoPit(Target):
    @property
    def supports_point_in_time(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("argv", "check", "expected_count"),
    [
        (["--level", "ERROR"], lambda d: d.get(fields.LOG_LEVEL) == "ERROR", 12),
        (["--level", "info"], lambda d: d.get(fields.LOG_LEVEL) == "INFO", 12),
        (["--kind", "access"], lambda d: d[fields.EVENT_KIND] == "access", 18),
        (
            ["--kind", "platform", "--kind", "access"],
            lambda d: d[fields.EVENT_KIND] in ("platform", "access"),
            18 + 48,
        ),
        (["S3 listing failed"], lambda d: d.get(fields.MESSAGE) == "S3 listing failed", 6),
        ([f"{fields.HTTP_STATUS}:>=500"], lambda d: d.get(fields.HTTP_STATUS, 0) >= 500, 12),
    ],
)
def test_filters(capsys, corpus, argv, check, expected_count):
    got = events(capsys, corpus, "search", *argv, "--limit", "1000")
    assert len(got) == expected_count
    assert all(check(doc) for doc in got)


def test_service_filter_matches_service_or_function(capsys, corpus):
    by_service = events(capsys, corpus, "search", "--service", corpus.service, "--limit", "1000")
    assert len(by_service) == 18 and all(d[fields.SERVICE_NAME] == corpus.service for d in by_service)
    by_function = events(capsys, corpus, "search", "--service", "obs-platform-objects-api", "--limit", "1000")
    assert len(by_function) == 6 * 13  # every function line but the EMF one (skipped)


def test_request_id_and_trace_id_filters(capsys, corpus):
    ids = corpus.rounds[2]
    got = events(capsys, corpus, "search", "--request-id", ids.api_ok, "--limit", "1000")
    assert {d[fields.EVENT_KIND] for d in got} == {"access", "application"}
    got = events(capsys, corpus, "search", "--request-id", ids.lambda_ok, "--limit", "1000")
    assert {d[fields.LAMBDA_REQUEST_ID] for d in got} == {ids.lambda_ok}
    got = events(capsys, corpus, "search", "--trace-id", ids.trace, "--limit", "1000")
    assert got and all(d[fields.TRACE_ID] == ids.trace for d in got)


@pytest.mark.parametrize("which", ["api_ok", "lambda_ok", "trace"])
def test_request_tells_the_whole_story_from_any_id(capsys, corpus, which):
    ids = corpus.rounds[3]
    code, out, err = run(capsys, corpus, "request", getattr(ids, which), "--output", "json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    got = document["events"]
    summary = document["request"]
    stamps = [d[fields.TIMESTAMP] for d in got]
    assert stamps == sorted(stamps)
    if which == "trace":  # the trace id is on both invocations of the round (one X-Ray trace)
        assert set(summary["lambda_request_ids"]) == {ids.lambda_ok, ids.lambda_timeout}
        return
    assert summary["api_request_ids"] == [ids.api_ok]
    assert summary["lambda_request_ids"] == [ids.lambda_ok]
    assert summary["http_status"] == [200]
    assert summary["events_by_kind"] == {"access": 1, "application": 3, "platform": 3}
    assert [d.get(fields.LAMBDA_PLATFORM_TYPE) for d in got if d[fields.EVENT_KIND] == "platform"] == [
        "start",
        "end",
        "report",
    ]
    (report,) = summary["reports"]
    assert report[fields.LAMBDA_DURATION_MS] == 48.27 and report[fields.LAMBDA_INIT_DURATION_MS] == 512.33


def test_request_text_summarises_the_report(capsys, corpus):
    ids = corpus.rounds[1]
    code, out, _ = run(capsys, corpus, "request", ids.api_timeout, "--color", "never")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[1] == "503"  # the access line comes first
    assert (
        f"-- REPORT {ids.lambda_timeout}: duration 3000 ms, billed 3000 ms, memory 80/256 MB, status timeout"
        in lines
    )
    assert "-- HTTP status: 503" in lines


def test_request_unknown_id_is_an_error(capsys, corpus):
    code, _, err = run(capsys, corpus, "request", "no-such-request")
    assert code == 2
    assert (
        err.strip()
        == "obsctl: error: no events for 'no-such-request' (API request id, Lambda request id or trace id)"
    )


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("status", {200: 12, 403: 6, 500: 6, 503: 6}),
        ("kind", {"access": 18, "application": 30, "platform": 48}),
    ],
)
def test_stats_counts(capsys, corpus, by, expected):
    code, out, err = run(capsys, corpus, "stats", "--by", by, "--output", "json")
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert document["total"] == corpus.indexed
    assert {g["key"]: g["count"] for g in document["groups"]} == expected
    assert sum(b["count"] for b in document["over_time"]) == corpus.indexed


def test_stats_by_level_text(capsys, corpus):
    code, out, _ = run(capsys, corpus, "stats", "--by", "level")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{corpus.indexed} events"
    assert "  ERROR   12" in lines and "  INFO    12" in lines
    bars = [line for line in lines if line.startswith("  20")]
    assert sum(int(line.split()[-1]) for line in bars) == corpus.indexed


def test_tail_picks_up_new_events(opensearch_url, corpus):
    service = f"tail-{corpus.tag}"
    target = Target(corpus.url, "none")
    searcher = Searcher(build_client(target), target, page_size=4)
    first = ship_now(corpus.url, corpus.tag, service)
    shipped_later: list[Any] = []

    def sleep(_seconds: float) -> None:  # between polls: new events arrive
        if not shipped_later:
            shipped_later.append(ship_now(corpus.url, corpus.tag, service))

    hits = list(
        tail(
            searcher,
            Filters(services=(service,)),
            start=datetime.now(UTC) - timedelta(minutes=5),
            interval_s=0.2,
            max_polls=3,
            sleep=sleep,
        )
    )
    api_ids = [h.source.get(fields.CORRELATION_ID) for h in hits]
    assert api_ids.count(first.api_ok) == 2 and api_ids.count(shipped_later[0].api_ok) == 2
    keys = [h.key for h in hits]
    assert len(keys) == len(set(keys)) == 6  # nothing printed twice across the three polls
    stamps = [h.source[fields.TIMESTAMP] for h in hits]
    assert stamps == sorted(stamps)


def test_tail_cli_prints_recent_events(capsys, corpus):
    service = f"tailcli-{corpus.tag}"
    ids = ship_now(corpus.url, corpus.tag, service)
    code = main(
        [
            "logs",
            "tail",
            "--endpoint",
            corpus.url,
            "--service",
            service,
            "--max-polls",
            "2",
            "--interval",
            "0.2",
            "-o",
            "ndjson",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert {d[fields.CORRELATION_ID] for d in docs} == {ids.api_ok, ids.api_timeout}


def test_since_finds_recent_events_only(capsys, corpus):
    service = f"since-{corpus.tag}"
    ship_now(corpus.url, corpus.tag, service)
    code = main(
        ["logs", "search", "--endpoint", corpus.url, "--service", service, "--since", "5m", "-o", "ndjson"]
    )
    out, _ = capsys.readouterr()
    assert code == 0 and len(out.splitlines()) == 3
    # the corpus' own index holds only its long-past day: nothing there is 5 minutes old
    code, out, _ = run(capsys, corpus, "search", "--since", "5m", "-o", "ndjson", window=False)
    assert code == 0 and out == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["search", "message:(unclosed"],
            "obsctl: error: OpenSearch refused the search: Failed to parse query [message:(unclosed]",
        ),
        (
            ["search", f"{fields.HTTP_STATUS}:abc"],
            'obsctl: error: OpenSearch refused the search: failed to create query: For input string: "abc"',
        ),
        (["search", "--since", "soon"], "obsctl: error: not a duration: 'soon' (use e.g. 30s, 15m, 2h, 7d)"),
        (["search", "--limit", "0"], "obsctl: error: --limit must be 1..100000"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, corpus, argv, message):
    code, out, err = run(capsys, corpus, *argv, window=argv[1:2] != ["--since"])
    assert code == 2
    assert err.strip() == message and out == ""


def test_missing_index_is_one_line_exit_2(capsys, corpus):
    code = main(["logs", "search", "--endpoint", corpus.url, "--index", "logs-nothing-here-*"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == (
        f"obsctl: error: no index matches logs-nothing-here-* at {corpus.url}: nothing shipped there yet? "
        "(`obsctl opensearch bootstrap` applies the templates; the shipper creates the indices)"
    )


def test_unreachable_endpoint_is_one_line_exit_2_without_traceback():
    # A real process: what a user sees, stderr included.
    result = subprocess.run(
        [sys.executable, "-m", "obsctl", "logs", "search", "--endpoint", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr == "obsctl: error: cannot reach OpenSearch at http://127.0.0.1:9 (connection refused)\n"
    )


def test_no_endpoint_anywhere_says_how_to_get_one(monkeypatch, capsys, tmp_path):
    import obsctl.opensearch_client as oc

    monkeypatch.delenv("OPENSEARCH_URL", raising=False)
    monkeypatch.setattr(oc, "local_node_url", lambda: None)
    assert main(["logs", "search"]) == 2
    assert capsys.readouterr().err.strip() == (
        "obsctl: error: no OpenSearch endpoint: pass --endpoint, set OPENSEARCH_URL, "
        "or start a local node with `obsctl opensearch start`"
    )


def test_a_closed_pipe_is_not_an_error(corpus):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "obsctl",
            "logs",
            "search",
            "--endpoint",
            corpus.url,
            "--index",
            corpus.index,
            "--from",
            corpus.start.isoformat(),
            "--limit",
            "1000",
            "--page-size",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in errors


@pytest.mark.parametrize(("alarm", "expected"), [("api-5xx-rate", 6), ("api-latency-p99", 6)])
def test_local_notification_link_answers_on_the_node(corpus, alarm, expected):
    # The demo's notifications link to the node itself (no OpenSearch Dashboards runs locally): the
    # link must answer there, with the alarm's matching access-log lines of that time.
    import requests

    from notifier.config import Config
    from notifier.events import alarm_state_change
    from notifier.message import load_routing, notification

    config = Config(
        "arn:aws:sns:eu-west-1:1:chat", "p", "https://runbooks.example", opensearch_search_url=corpus.url
    )
    event = alarm_state_change(
        f"p-{alarm}", new_state="ALARM", old_state="OK", reason="r", at=corpus.start + timedelta(minutes=5),
        region="eu-west-1", account_id="123456789012",
    )  # fmt: skip
    message = notification(event, load_routing(), config)
    assert isinstance(message, dict)
    (url,) = [
        step.split(": ", 1)[1] for step in message["content"]["nextSteps"] if step.startswith("Matching logs")
    ]
    assert url.startswith(f"{corpus.url}/{fields.index_pattern(fields.KIND_ACCESS)}/_search?q=")
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    hits = [hit["_source"] for hit in response.json()["hits"]["hits"]]
    assert all(hit[fields.EVENT_KIND] == fields.KIND_ACCESS for hit in hits)
    # the corpus' 503 lines (3 s latency); other tests' documents are at other times
    assert len(hits) == expected
    assert all(hit[fields.HTTP_STATUS] == 503 for hit in hits)


def test_every_alarms_notification_link_is_a_query_the_node_runs(corpus):
    # Every posting alarm's logs link (from the routing table, through the notifier) on the node
    # that holds the corpus: 200 and no shard refusing the query (a query_string it cannot parse
    # would fail there; a wrong field name or type would too for the range and comparisons).
    import requests

    from notifier.config import Config
    from notifier.events import alarm_state_change
    from notifier.message import load_routing, notification

    config = Config(
        "arn:aws:sns:eu-west-1:1:chat", "p", "https://runbooks.example", opensearch_search_url=corpus.url
    )
    routing = load_routing()
    checked, at = 0, corpus.start + timedelta(minutes=5)
    for name in sorted(n for n, route in routing.items() if route["posts"]):
        event = alarm_state_change(
            f"p-{name}", new_state="ALARM", old_state="OK", reason="r", at=at,
            region="eu-west-1", account_id="123456789012",
        )  # fmt: skip
        message = notification(event, routing, config)
        assert isinstance(message, dict), name
        (url,) = [
            s.split(": ", 1)[1] for s in message["content"]["nextSteps"] if s.startswith("Matching logs")
        ]
        response = requests.get(url, timeout=30)
        assert response.status_code == 200, (name, response.text[:500])
        shards = response.json()["_shards"]
        assert shards["failed"] == 0 and shards["successful"] > 0, (name, shards)
        checked += 1
    assert checked >= 10
