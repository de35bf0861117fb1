"""Replay never sends an indexed event again, keeps document ids, reads on-failure records.

Given dead letters (the shipper's records, Lambda's on-failure destination records and objects that
are neither), when ``obsctl ship replay`` runs twice without ``--delete``, then every event is indexed
exactly once, ids are sent when the record was written with them, and what cannot be read is
skipped with a message while the rest is replayed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from log_pipeline.dead_letters import DirectoryDeadLetters, batch_record, read_records
from log_pipeline.subscription import encode_payload
from obsctl import cli
from tests.unit.log_pipeline.helpers import make_payload


def _run_cli(monkeypatch: Any, capsys: Any, argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _source(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "logEvents"}


def on_failure_record(event: dict[str, Any]) -> dict[str, Any]:
    """Lambda's invocation record for an asynchronous event that failed every attempt (AWS Lambda
    developer guide, "Capturing records of Lambda asynchronous invocations")."""
    return {
        "version": "1.0",
        "timestamp": "2026-12-02T18:16:05.568Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-4d22-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:log-shipper:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "RecursionError", "errorType": "RecursionError"},
    }


def test_replaying_twice_without_delete_indexes_each_event_once(scripted_bulk, monkeypatch, capsys, tmp_path):
    payload = make_payload(5)
    DirectoryDeadLetters(tmp_path).write(
        batch_record(_source(payload), [(e, "HTTP 503") for e in payload["logEvents"]], "r")
    )
    argv = ["ship", "replay", str(tmp_path), "--endpoint", scripted_bulk.url]

    for _ in range(2):
        code, out, _err = _run_cli(monkeypatch, capsys, argv)
        assert code == 0, out

    assert scripted_bulk.index_count == {e["id"]: 1 for e in payload["logEvents"]}
    ((_where, record),) = list(read_records(str(tmp_path)))
    assert record["events"] == []  # kept, empty: --delete removes it


def test_records_written_with_document_ids_replay_with_them(scripted_bulk, tmp_path):
    from log_pipeline.config import ShipperConfig
    from log_pipeline.pipeline import Shipper
    from log_pipeline.replay import replay

    payload = make_payload(3)
    record = batch_record(
        _source(payload), [(e, "timeout") for e in payload["logEvents"]], "r", document_ids=True
    )
    shipper = Shipper(ShipperConfig(endpoint=scripted_bulk.url), write=lambda _l: None)

    replay([("memory", record)], shipper)

    assert [a["index"]["_id"] for a in scripted_bulk.requests[0].actions] == [
        e["id"] for e in payload["logEvents"]
    ]


def test_on_failure_records_replay_and_other_objects_are_skipped(
    scripted_bulk, monkeypatch, capsys, tmp_path
):
    # Given: an on-failure destination record, an object that is no record, and a record of ours
    kept = make_payload(4)
    (tmp_path / "on-failure.json").write_text(json.dumps(on_failure_record(encode_payload(kept))))
    (tmp_path / "a-stray.json").write_text('{"hello": "world"}')
    (tmp_path / "b-broken.json").write_text("{not json")
    ours = make_payload(2, group="/aws/lambda/other")
    for event in ours["logEvents"]:
        event["id"] = "other-" + event["id"]
    DirectoryDeadLetters(tmp_path).write(
        batch_record(_source(ours), [(e, "x") for e in ours["logEvents"]], "r")
    )

    # When
    code, out, err = _run_cli(
        monkeypatch, capsys, ["ship", "replay", str(tmp_path), "--endpoint", scripted_bulk.url]
    )

    # Then: both records replayed; the two other objects skipped with a message each, left as they are
    report = json.loads(out)
    assert code == 0 and (report["records"], report["indexed"], report["failed"]) == (2, 6, 0)
    assert len(report["skipped"]) == 2 and err.count("skipped") == 2
    assert set(scripted_bulk.index_count) == {e["id"] for e in kept["logEvents"] + ours["logEvents"]}
    assert (tmp_path / "a-stray.json").read_text() == '{"hello": "world"}'
