"""SigV4 signing of the exact body, replay from S3 and directories, the CLI in-process, SCHEMA.md."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from log_pipeline import transport
from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import DirectoryDeadLetters, S3DeadLetters, batch_record, read_records
from log_pipeline.delivery import move_offending_fields
from log_pipeline.documents import Action
from log_pipeline.pipeline import Shipper
from log_pipeline.replay import replay
from log_pipeline.subscription import Payload, encode_payload
from log_pipeline.templates import field_types
from obsctl import cli
from signals import logs as fields
from tests.unit.log_pipeline.bulk_sink import Reply
from tests.unit.log_pipeline.helpers import FakeContext, make_payload

ROOT = Path(__file__).resolve().parents[3]


def test_sigv4_signs_the_exact_body_for_aoss(scripted_bulk, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    transport.forget_signers()  # signers built earlier hold other credentials
    # The config refuses SigV4 over http:// (the scripted endpoint's scheme): sign with the
    # transport itself, the shipper's own code for aoss.
    signing = transport.Transport(scripted_bulk.url, "aoss", "eu-west-1")
    config = ShipperConfig(endpoint=scripted_bulk.url, region="eu-west-1")
    shipper = Shipper(config, transport=signing, write=lambda _l: None)
    shipper.handle(encode_payload(make_payload(5)), FakeContext())
    (request,) = scripted_bulk.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert re.search(r"Credential=AKIDEXAMPLE/\d{8}/eu-west-1/aoss/aws4_request", headers["authorization"])
    assert headers["x-amz-content-sha256"] == hashlib.sha256(request.raw).hexdigest()
    assert headers["content-type"] == "application/x-ndjson"


def _record(payload: Payload, reason: str) -> dict[str, Any]:
    source = {k: v for k, v in payload.items() if k != "logEvents"}
    return batch_record(source, [(dict(e), reason) for e in payload["logEvents"]], "req-1")


def test_replay_from_s3_indexes_the_original_events(scripted_bulk, dead_letter_bucket):
    s3, bucket, key_id = dead_letter_bucket
    payload = make_payload(6)
    S3DeadLetters(s3, bucket, key_id, "dl/").write(_record(payload, "HTTP 503"))
    shipper = Shipper(ShipperConfig(endpoint=scripted_bulk.url), write=lambda _l: None)

    report = replay(read_records(f"s3://{bucket}/dl/", s3), shipper)

    assert (report.records, report.events, report.indexed, report.failed) == (1, 6, 6, 0)
    assert set(scripted_bulk.indexed) == {e["id"] for e in payload["logEvents"]}


def test_replay_reports_and_requeues_what_fails_again(scripted_bulk, tmp_path):
    payload = make_payload(4)
    store = DirectoryDeadLetters(tmp_path / "dl")
    store.write(_record(payload, "HTTP 503"))
    bad = payload["logEvents"][1]["id"]
    scripted_bulk.script = lambda r: Reply(
        item_status=lambda _p, s: (
            (400, {"type": "x", "reason": "no"}) if s[fields.CW_EVENT_ID] == bad else (201, None)
        )
    )
    shipper = Shipper(ShipperConfig(endpoint=scripted_bulk.url), write=lambda _l: None)
    ((location, _),) = list(read_records(str(tmp_path / "dl")))

    report = replay(read_records(str(tmp_path / "dl")), shipper, requeue=store.replace)

    assert (report.indexed, report.failed, report.replayed) == (3, 1, [])
    ((where, again),) = list(read_records(str(tmp_path / "dl")))
    assert where == location  # replaced in place, not a second record
    assert [e["id"] for e in again["events"]] == [bad]
    assert again["events"][0]["reason"] == "item status 400: x: no"


def _failing_some(scripted_bulk: Any, bad: set[str]) -> None:
    scripted_bulk.script = lambda r: Reply(
        item_status=lambda _p, s: (
            (400, {"type": "x", "reason": "no"}) if s[fields.CW_EVENT_ID] in bad else (201, None)
        )
    )


def _dead_event_ids(records: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return sorted(e["id"] for _location, record in records for e in record["events"])


def test_cli_replay_twice_keeps_each_failing_event_in_one_directory_record(
    scripted_bulk, monkeypatch, capsys, tmp_path
):
    store = DirectoryDeadLetters(tmp_path)
    first, second = make_payload(4), make_payload(3, group="/aws/lambda/other")
    for payload in (first, second):
        for event in payload["logEvents"]:
            event["id"] = f"{payload['logGroup']}-{event['id']}"
        store.write(_record(payload, "HTTP 503"))
    bad = {first["logEvents"][1]["id"], first["logEvents"][2]["id"], second["logEvents"][0]["id"]}
    _failing_some(scripted_bulk, bad)
    argv = ["ship", "replay", str(tmp_path), "--endpoint", scripted_bulk.url, "--delete"]

    for attempt in (1, 2):
        code, out, _ = _run_cli(monkeypatch, capsys, argv, "")
        assert code == 1
        assert json.loads(out)["failed"] == 3, f"replay {attempt}"
        records = list(read_records(str(tmp_path)))
        assert _dead_event_ids(records) == sorted(bad), f"replay {attempt}"
        assert len(records) == 2

    assert scripted_bulk.received() == {
        **dict.fromkeys(bad, 2),
        **{e["id"]: 1 for p in (first, second) for e in p["logEvents"] if e["id"] not in bad},
    }


def test_cli_replay_twice_keeps_each_failing_event_in_one_s3_record(
    scripted_bulk, dead_letter_bucket, monkeypatch, capsys
):
    s3, bucket, key_id = dead_letter_bucket
    payload = make_payload(5)
    location = S3DeadLetters(s3, bucket, key_id, "dl/").write(_record(payload, "HTTP 503"))
    bad = {payload["logEvents"][0]["id"], payload["logEvents"][3]["id"]}
    _failing_some(scripted_bulk, bad)
    argv = ["ship", "replay", f"s3://{bucket}/dl/", "--endpoint", scripted_bulk.url, "--region", "eu-west-1"]
    argv += ["--kms-key-id", key_id]

    for attempt in (1, 2):
        code, out, _ = _run_cli(monkeypatch, capsys, argv, "")
        assert code == 1
        assert json.loads(out)["failed"] == 2, f"replay {attempt}"
        records = list(read_records(f"s3://{bucket}/dl/", s3))
        assert [where for where, _ in records] == [location]
        assert _dead_event_ids(records) == sorted(bad), f"replay {attempt}"

    head = s3.head_object(Bucket=bucket, Key=location.split("/", 3)[3])
    assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]


def test_read_records_rejects_what_is_not_a_dead_letter(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not a dead-letter record"):
        list(read_records(str(tmp_path)))
    with pytest.raises(ValueError, match="neither"):
        list(read_records(str(tmp_path / "missing")))


def test_mapping_fix_without_a_named_field_moves_all_but_the_core():
    doc = {
        fields.TIMESTAMP: "t",
        fields.MESSAGE: "m",
        fields.CW_EVENT_ID: "1",
        fields.EVENT_KIND: "application",
        fields.LOG_LEVEL: "X",
    }
    action = Action("logs-application-2025.11.27", doc, {"id": "1", "timestamp": 0, "message": "m"})
    moved = move_offending_fields(action, {"type": "mapper_parsing_exception", "reason": "something odd"})
    assert moved == [fields.LOG_LEVEL]
    assert json.loads(doc[fields.UNMAPPED]) == {fields.LOG_LEVEL: "X"}
    assert action.mapping_fixed


def _run_cli(monkeypatch, capsys, argv: list[str], stdin: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_transform_accepts_an_event_or_a_payload(monkeypatch, capsys):
    payload = json.loads((ROOT / "tests/events/cloudwatch_access_logs.json").read_text())
    code, out, _ = _run_cli(monkeypatch, capsys, ["ship", "transform"], json.dumps(encode_payload(payload)))
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d[fields.HTTP_STATUS] for d in docs] == [200, 403, 503]
    code, out2, _ = _run_cli(monkeypatch, capsys, ["ship", "transform"], json.dumps(payload))
    assert out2 == out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("not json", "input is not JSON"),
        ('{"awslogs": {"data": "%%%"}}', "not valid base64"),
        ("[]", "not a JSON"),
    ],
)
def test_cli_transform_bad_input_exits_2_with_one_line(monkeypatch, capsys, stdin, message):
    code, out, err = _run_cli(monkeypatch, capsys, ["ship", "transform"], stdin)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_cli_send_without_dead_letters_fails_clearly(scripted_bulk, monkeypatch, capsys):
    scripted_bulk.script = lambda r: Reply(item_status=lambda _p, _s: (400, {"type": "x", "reason": "no"}))
    code, _, err = _run_cli(
        monkeypatch, capsys, ["ship", "send", "--endpoint", scripted_bulk.url], json.dumps(make_payload(2))
    )
    assert code == 2 and "--dead-letter-dir" in err


def test_cli_send_with_dead_letter_dir_exits_1(scripted_bulk, monkeypatch, capsys, tmp_path):
    scripted_bulk.script = lambda r: Reply(item_status=lambda _p, _s: (400, {"type": "x", "reason": "no"}))
    argv = ["ship", "send", "--endpoint", scripted_bulk.url, "--dead-letter-dir", str(tmp_path)]
    code, out, _ = _run_cli(monkeypatch, capsys, argv, json.dumps(make_payload(2)))
    assert code == 1
    assert json.loads(out)["docs_dead_lettered"] == 2
    assert len(list(read_records(str(tmp_path)))) == 1


def test_schema_md_documents_every_mapped_field():
    schema = (ROOT / "log_pipeline/SCHEMA.md").read_text()
    documented = set(re.findall(r"`([@a-z_.]+)`", schema))
    assert set(field_types()) - documented == set()
