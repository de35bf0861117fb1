"""The shipper against a real OpenSearch node: templates, findability, mapping conflicts, replay,
the CLI and the demo step (with the AWS emulator holding the log groups and the dead-letter bucket).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import DirectoryDeadLetters, batch_record, read_records
from log_pipeline.pipeline import Shipper
from log_pipeline.replay import replay
from log_pipeline.subscription import encode_payload
from log_pipeline.templates import apply_index_templates, index_templates
from signals import logs as fields
from signals.metrics import SHIPPER_EVENTS_RECEIVED

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"
REPO_ROOT = Path(__file__).resolve().parents[2]


class _Context:
    aws_request_id = "integration"

    def __init__(self, seconds: float = 30.0) -> None:
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def _fresh(name: str) -> dict[str, Any]:
    """A sample payload with unique ids, request ids and trace ids, timestamped now."""
    text = (EVENTS / name).read_text()
    tag = uuid.uuid4().hex[:12]
    text = text.replace("6f1c3c9e-2b7a-4f0e-9d6a", f"6f1c3c9e-{tag[:4]}-{tag[4:8]}-{tag[8:12]}")
    text = text.replace("1-6746f0a1-3b2c1d4e5f60718293a4b5c6", f"1-6746f0a1-{tag}718293a4b5c6")
    text = text.replace("Cq3xYjQ8oAMEVHw=", f"Cq{tag}=")
    payload: dict[str, Any] = json.loads(text)
    now = int(time.time() * 1000)
    for i, event in enumerate(payload["logEvents"]):
        event["id"] = f"{tag}{i:04d}"
        event["timestamp"] = now + i
    payload["_tag"] = tag
    return payload


def _search(url: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    requests.post(f"{url}/{fields.ALL_INDICES_PATTERN}/_refresh", timeout=30).raise_for_status()
    response = requests.post(
        f"{url}/{fields.ALL_INDICES_PATTERN}/_search", json={"size": 100, "query": query}, timeout=30
    )
    response.raise_for_status()
    return [hit["_source"] for hit in response.json()["hits"]["hits"]]


@pytest.fixture(scope="module")
def node(opensearch_url: str) -> str:
    url = opensearch_url.rstrip("/")
    assert apply_index_templates(url, "none", None) == sorted(
        index_templates(), key=list(index_templates()).index
    )
    return url


def _ship(url: str, payload: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    payload = {k: v for k, v in payload.items() if k != "_tag"}
    shipper = Shipper(ShipperConfig(endpoint=url, region="eu-west-1", **overrides), write=lambda _l: None)
    return shipper.handle(encode_payload(payload), _Context())


def test_templates_are_applied_and_govern_new_indices(node):
    for name in index_templates():
        got = requests.get(f"{node}/_index_template/{name}", timeout=10).json()["index_templates"][0]
        assert got["index_template"]["index_patterns"] == index_templates()[name]["index_patterns"]
    payload = _fresh("cloudwatch_function_logs.json")
    _ship(node, payload)
    day = datetime.now(UTC).strftime("%Y.%m.%d")
    mapping = requests.get(f"{node}/logs-application-{day}/_mapping", timeout=10).json()
    properties = mapping[f"logs-application-{day}"]["mappings"]["properties"]
    assert properties["labels"]["type"] == "flat_object"
    assert properties["aws"]["properties"]["lambda"]["properties"]["duration_ms"]["type"] == "double"


def test_documents_are_findable_by_request_id_and_trace_id(node):
    payload = _fresh("cloudwatch_function_logs.json")
    tag = payload["_tag"]
    summary = _ship(node, payload)
    assert summary["docs_indexed"] == 13 and summary["emf_skipped"] == 1
    request_id = f"6f1c3c9e-{tag[:4]}-{tag[4:8]}-{tag[8:12]}-1b2c3d4e5f60"
    by_request = _search(node, {"term": {fields.LAMBDA_REQUEST_ID: request_id}})
    assert {d[fields.LAMBDA_PLATFORM_TYPE] for d in by_request if fields.LAMBDA_PLATFORM_TYPE in d} == {
        "start",
        "end",
        "report",
    }
    report = next(d for d in by_request if d.get(fields.LAMBDA_PLATFORM_TYPE) == "report")
    assert report[fields.LAMBDA_DURATION_MS] == 48.27
    by_trace = _search(node, {"term": {fields.TRACE_ID: f"1-6746f0a1-{tag}718293a4b5c6"}})
    assert len(by_trace) == 4  # three Powertools lines of that request and its REPORT
    numeric = _search(
        node,
        {
            "bool": {
                "filter": [
                    {"term": {fields.LAMBDA_REQUEST_ID: request_id}},
                    {"range": {fields.LAMBDA_BILLED_DURATION_MS: {"gte": 49}}},
                ]
            }
        },
    )
    assert len(numeric) == 1
    by_label = _search(
        node,
        {
            "bool": {
                "filter": [
                    {"term": {fields.TRACE_ID: f"1-6746f0a1-{tag}718293a4b5c6"}},
                    {"term": {"labels.prefix": "reports/"}},
                ]
            }
        },
    )
    assert len(by_label) == 1


def test_access_logs_are_findable_by_api_request_id_with_numbers(node):
    payload = _fresh("cloudwatch_access_logs.json")
    _ship(node, payload)
    (doc,) = _search(node, {"term": {fields.HTTP_REQUEST_ID: f"Cq{payload['_tag']}="}})
    assert doc[fields.HTTP_STATUS] == 200
    ranged = _search(
        node,
        {
            "bool": {
                "filter": [
                    {"term": {fields.HTTP_REQUEST_ID: f"Cq{payload['_tag']}="}},
                    {"range": {fields.HTTP_LATENCY_MS: {"gt": 60}}},
                ]
            }
        },
    )
    assert len(ranged) == 1


def test_mapping_conflict_batch_indexes_with_nothing_lost(node):
    payload = _fresh("cloudwatch_function_logs.json")
    tag = payload["_tag"]
    conflicting = [
        {"level": "INFO", "message": "object where a keyword goes", "correlation_id": {"nested": [1, 2]}},
        {"level": "INFO", "message": "two bad fields", "cold_start": "maybe", "function_memory_size": "lots"},
        {"level": {"not": "a level"}, "message": "bad level", "status": "teapot"},
    ]
    payload["logEvents"] = [
        {"id": f"{tag}c{i}", "timestamp": int(time.time() * 1000), "message": json.dumps(line)}
        for i, line in enumerate(conflicting)
    ]
    summary = _ship(node, payload)
    assert summary["docs_indexed"] == 3
    assert summary["docs_dead_lettered"] == 0
    docs = {d[fields.CW_EVENT_ID]: d for d in _search(node, {"prefix": {fields.CW_EVENT_ID: f"{tag}c"}})}
    assert len(docs) == 3
    assert json.loads(docs[f"{tag}c0"][fields.UNMAPPED]) == {fields.CORRELATION_ID: {"nested": [1, 2]}}
    assert json.loads(docs[f"{tag}c1"][fields.UNMAPPED]) == {
        fields.LAMBDA_COLD_START: "maybe",
        fields.LAMBDA_MEMORY_SIZE_MB: "lots",
    }
    assert json.loads(docs[f"{tag}c2"][fields.UNMAPPED]) == {
        fields.LOG_LEVEL: {"not": "a level"},
        fields.HTTP_STATUS: "teapot",
    }
    assert all(d[fields.MESSAGE] for d in docs.values())
    found = _search(node, {"match": {fields.UNMAPPED: "teapot"}})
    assert any(d[fields.CW_EVENT_ID] == f"{tag}c2" for d in found)


def test_document_ids_make_redelivery_idempotent(node):
    payload = _fresh("cloudwatch_access_logs.json")
    _ship(node, payload, use_document_id=True)
    _ship(node, payload, use_document_id=True)
    assert len(_search(node, {"term": {fields.HTTP_REQUEST_ID: f"Cq{payload['_tag']}="}})) == 1


def test_dead_letters_replay_into_the_node(node, tmp_path):
    payload = _fresh("cloudwatch_access_logs.json")
    source = {k: v for k, v in payload.items() if k not in ("logEvents", "_tag")}
    store = DirectoryDeadLetters(tmp_path)
    store.write(batch_record(source, [(e, "HTTP 503: scripted") for e in payload["logEvents"]], "r1"))
    shipper = Shipper(ShipperConfig(endpoint=node), write=lambda _l: None)
    report = replay(read_records(str(tmp_path)), shipper)
    assert report.as_dict() | {"replayed": []} == {
        "records": 1,
        "events": 3,
        "indexed": 3,
        "failed": 0,
        "replayed": [],
        "errors": [],
        "skipped": [],
    }
    assert len(_search(node, {"term": {fields.HTTP_REQUEST_ID: f"Cq{payload['_tag']}="}})) == 1


def _obsctl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsctl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        check=False,
    )


def test_cli_send_and_replay(node, tmp_path):
    payload = _fresh("cloudwatch_access_logs.json")
    clean = {k: v for k, v in payload.items() if k != "_tag"}
    sent = _obsctl("ship", "send", "--endpoint", node, stdin=json.dumps(encode_payload(clean)))
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["docs_indexed"] == 3
    transformed = _obsctl("ship", "transform", stdin=json.dumps(clean))
    assert [json.loads(line)[fields.CW_EVENT_ID] for line in transformed.stdout.splitlines()] == [
        e["id"] for e in clean["logEvents"]
    ]
    bad = _obsctl("ship", "transform", stdin="{]")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not JSON" in bad.stderr
    source = {k: v for k, v in clean.items() if k != "logEvents"}
    DirectoryDeadLetters(tmp_path).write(batch_record(source, [(clean["logEvents"][0], "x")], "r"))
    replayed = _obsctl("ship", "replay", str(tmp_path), "--endpoint", node, "--delete")
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["indexed"] == 1
    assert list(tmp_path.rglob("*.json")) == []


def test_demo_step_ships_the_emulated_log_groups(node, tmp_path, local_stack):
    from local_platform.demo import logs as logs_step
    from local_platform.demo.context import DemoContext

    # the session's AWS emulator (moto keeps one state per process: shared, not restarted) and what
    # Terraform created in it: the step ships the groups the subscription filters name
    emulator = local_stack.emulator
    names = emulator.names
    logs = emulator.client("logs")
    tag = uuid.uuid4().hex[:10]
    api_ids = [f"R{tag}{i:03d}=" for i in range(30)]
    now = int(time.time() * 1000)
    function_lines = []
    for i, api_id in enumerate(api_ids):
        rid = f"{uuid.uuid4()}"
        function_lines += [
            f"START RequestId: {rid} Version: $LATEST\n",
            json.dumps(
                {
                    "level": "INFO",
                    "message": "request served",
                    "service": "objects-api",
                    "function_request_id": rid,
                    "correlation_id": api_id,
                    "status": 200,
                }
            ),
            f"END RequestId: {rid}\n",
            f"REPORT RequestId: {rid}\tDuration: {10 + i}.5 ms\tBilled Duration: {11 + i} ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 70 MB\t\n",
        ]
    access_lines = [
        json.dumps(
            {
                "requestId": api_id,
                "httpMethod": "GET",
                "routeKey": "GET /objects",
                "status": "200",
                "responseLatency": "12",
            }
        )
        for api_id in api_ids
    ]
    for group, lines in (
        (names.function_log_group, function_lines),
        (names.access_log_group, access_lines),
    ):
        logs.create_log_stream(logGroupName=group, logStreamName=f"s-{tag}")
        logs.put_log_events(
            logGroupName=group,
            logStreamName=f"s-{tag}",
            logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)],
        )
    said: list[str] = []
    ctx = DemoContext(
        aws_endpoint=emulator.endpoint,
        api_url="",
        access_key=emulator.access_key,
        secret_key=emulator.secret_key,
        names=names,
        out_dir=tmp_path,
        started_at=datetime.now(UTC),
        opensearch_url=node,
        say=said.append,
        request_ids=list(api_ids),
        platform=local_stack.platform,
    )

    logs_step.run(ctx)

    # other tests' traffic may be in the shared log groups too: ours is at least all there
    assert ctx.summary["docs_indexed"] >= len(function_lines) + len(access_lines)
    assert ctx.summary["docs_dead_lettered"] == 0
    # the newest request's whole story (access line, function lines, REPORT) is the example
    assert ctx.summary["example_request_id"] == api_ids[-1]
    assert any(line.startswith(f"`obsctl logs request {api_ids[-1]}` finds its 5 lines") for line in said)
    shipper_events = logs.filter_log_events(logGroupName=names.shipper_log_group)["events"]
    assert any(f'"{SHIPPER_EVENTS_RECEIVED}"' in e["message"] for e in shipper_events)
    ctx.request_ids.append("never-sent")
    with pytest.raises(Exception, match="1 request id"):
        logs_step.run(ctx)


def test_cli_replays_dead_letters_from_s3(node, monkeypatch, local_stack):
    """The shipper's dead letters in the bucket Terraform created, replayed by an operator; the
    bucket's policy (TLS only, only the shipper and the operators) as the emulator evaluates it."""
    from local_platform.deployment import OPERATOR_ROLE_ARN, role_client
    from log_pipeline.dead_letters import S3DeadLetters
    from signals import config as env_names

    payload = _fresh("cloudwatch_access_logs.json")
    clean = {k: v for k, v in payload.items() if k != "_tag"}
    source = {k: v for k, v in clean.items() if k != "logEvents"}
    emulator, platform = local_stack.emulator, local_stack.platform
    bucket = platform.dead_letter_bucket
    kms_key = platform.shipper.environment[env_names.ENV_DEAD_LETTER_KMS_KEY]
    prefix = f"dead-letters/test-{payload['_tag']}/"
    record = batch_record(source, [(e, "HTTP 429") for e in clean["logEvents"]], "r")
    # Given a caller the bucket does not name: its write is refused, as S3 refuses it
    with pytest.raises(Exception, match=r"AccessDenied|403"):
        S3DeadLetters(emulator.client("s3"), bucket, kms_key, prefix).write(record)
    # and the shipper's role writes the record
    shipper_s3 = role_client(emulator.endpoint, platform.region, platform.shipper.role_arn, "s3")
    location = S3DeadLetters(shipper_s3, bucket, kms_key, prefix).write(record)
    operator_s3 = role_client(emulator.endpoint, platform.region, OPERATOR_ROLE_ARN, "s3")
    head = operator_s3.head_object(Bucket=bucket, Key=location.split("/", 3)[3])
    assert head["ServerSideEncryption"] == "aws:kms"
    # When an operator replays it
    sts = emulator.client("sts")
    credentials = sts.assume_role(RoleArn=OPERATOR_ROLE_ARN, RoleSessionName="replay")["Credentials"]
    for key, value in {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }.items():
        monkeypatch.setenv(key, value)
    replayed = _obsctl(
        "ship",
        "replay",
        f"s3://{bucket}/{prefix}",
        "--endpoint",
        node,
        "--aws-endpoint-url",
        emulator.endpoint,
        "--region",
        platform.region,
        "--delete",
    )
    # Then it is indexed once and deleted
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["indexed"] == 3
    assert operator_s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    assert len(_search(node, {"term": {fields.HTTP_REQUEST_ID: f"Cq{payload['_tag']}="}})) == 1


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
_keys = st.sampled_from(
    [
        "level",
        "message",
        "status",
        "cold_start",
        "function_memory_size",
        "xray_trace_id",
        "correlation_id",
        "requestId",
        "route",
        "caller_arn",
        "location",
        "service",
        "free",
        "a.b",
    ]
)
_access = st.fixed_dictionaries(
    {"requestId": st.text(max_size=8), "httpMethod": st.text(max_size=5), "routeKey": st.text(max_size=8)},
    optional={"status": _values, "responseLength": _values, "responseLatency": _values, "sourceIp": _values},
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(_keys, _values, max_size=6) | _access, min_size=1, max_size=20))
def test_any_json_line_is_indexed_by_the_real_node(node, lines):
    tag = uuid.uuid4().hex[:12]
    now = int(time.time() * 1000)
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/prop",
        "logStream": tag,
        "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": f"{tag}{i:03d}", "timestamp": now, "message": json.dumps(line)}
            for i, line in enumerate(lines)
        ],
    }
    summary = _ship(node, payload)
    assert summary["docs_dead_lettered"] == 0
    assert summary["docs_indexed"] == len(lines)


def _line_event(tag: str, i: int, line: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"{tag}t{i}", "timestamp": int(time.time() * 1000), "message": json.dumps(line)}


def test_label_values_above_the_term_limit_are_searchable_and_kept_whole(node):
    # Given: labels OpenSearch cannot index as keyword terms (over 32,766 UTF-8 bytes, in a value,
    # a key, a nested path)
    payload = _fresh("cloudwatch_access_logs.json")
    tag = payload["_tag"]
    value = "😀" * 9_000  # 36,000 bytes
    lines: list[dict[str, Any]] = [
        {"level": "INFO", "message": "long value", "blob": value, "short": "kept"},
        {"level": "INFO", "message": "long key", "k" * 9_000: "v"},
        {"level": "INFO", "message": "long path", "a" * 5_000: {"b" * 3_000: "é" * 5_000}},
    ]
    payload["logEvents"] = [_line_event(tag, i, line) for i, line in enumerate(lines)]

    # When
    summary = _ship(node, payload)

    # Then: indexed (not dead-lettered), searchable by label, the whole text in `unmapped`
    assert (summary["docs_indexed"], summary["docs_dead_lettered"]) == (3, 0)
    docs = {d[fields.CW_EVENT_ID]: d for d in _search(node, {"prefix": {fields.CW_EVENT_ID: f"{tag}t"}})}
    assert len(docs) == 3
    first = docs[f"{tag}t0"]
    assert json.loads(first[fields.UNMAPPED]) == {fields.EXTRA: {"blob": value, "short": "kept"}}
    assert value.startswith(first[fields.EXTRA]["blob"]) and first[fields.EXTRA]["short"] == "kept"
    found = _search(
        node,
        {"bool": {"filter": [{"term": {"labels.short": "kept"}}, {"prefix": {fields.CW_EVENT_ID: tag}}]}},
    )
    assert [d[fields.CW_EVENT_ID] for d in found] == [f"{tag}t0"]
    assert json.loads(docs[f"{tag}t1"][fields.UNMAPPED]) == {fields.EXTRA: {"k" * 9_000: "v"}}


def test_cli_replay_twice_without_delete_indexes_each_event_once(node, tmp_path):
    # Given: a batch record and Lambda's on-failure record of another batch, side by side
    first, second = _fresh("cloudwatch_access_logs.json"), _fresh("cloudwatch_access_logs.json")
    clean = [{k: v for k, v in p.items() if k != "_tag"} for p in (first, second)]
    source = {k: v for k, v in clean[0].items() if k != "logEvents"}
    DirectoryDeadLetters(tmp_path).write(
        batch_record(source, [(e, "HTTP 503") for e in clean[0]["logEvents"]], "r")
    )
    on_failure = {
        "version": "1.0",
        "timestamp": "2026-12-02T18:16:05.568Z",
        "requestContext": {"requestId": "r", "functionArn": "arn", "condition": "RetriesExhausted"},
        "requestPayload": encode_payload(clean[1]),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom"},
    }
    (tmp_path / "on-failure.json").write_text(json.dumps(on_failure))

    # When: replayed twice, without --delete
    for _ in range(2):
        replayed = _obsctl("ship", "replay", str(tmp_path), "--endpoint", node)
        assert replayed.returncode == 0, replayed.stderr

    # Then: each API request's access-log line is in the node once
    for payload in (first, second):
        assert len(_search(node, {"term": {fields.HTTP_REQUEST_ID: f"Cq{payload['_tag']}="}})) == 1
