"""The handler end to end against the scripted endpoint: env config, malformed and control
events, the invocation's EMF record and summary line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from log_pipeline import handler as handler_module
from log_pipeline.config import ConfigError, ShipperConfig
from log_pipeline.dead_letters import S3DeadLetters
from log_pipeline.pipeline import Shipper
from log_pipeline.subscription import encode_payload
from signals import config as env
from signals import metrics as M
from signals.logs import SHIPPER_DEAD_LETTER_MESSAGE
from signals.services import SHIPPER_SERVICE
from tests.unit.log_pipeline.helpers import FakeContext, dead_letter_records, make_payload


def test_handler_reads_its_config_once_from_the_environment(scripted_bulk, monkeypatch):
    monkeypatch.setenv(env.ENV_OPENSEARCH_ENDPOINT, scripted_bulk.url)
    monkeypatch.setenv(env.ENV_OPENSEARCH_AUTH, "none")
    monkeypatch.setenv(env.ENV_BULK_MAX_DOCS, "3")
    handler_module.shipper.cache_clear()

    summary = handler_module.handler(encode_payload(make_payload(7)), FakeContext())

    assert summary["docs_indexed"] == 7
    assert summary["bulk_requests"] == 3
    first = handler_module.shipper()
    handler_module.handler(encode_payload(make_payload(1)), FakeContext())
    assert handler_module.shipper() is first
    handler_module.shipper.cache_clear()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "OPENSEARCH_ENDPOINT is not set"),
        (
            {env.ENV_OPENSEARCH_ENDPOINT: "x", env.ENV_OPENSEARCH_AUTH: "basic"},
            "OPENSEARCH_AUTH must be one of",
        ),
        ({env.ENV_OPENSEARCH_ENDPOINT: "x"}, "AWS_REGION is required"),
        (
            {
                env.ENV_OPENSEARCH_ENDPOINT: "x",
                env.ENV_OPENSEARCH_AUTH: "none",
                env.ENV_BULK_MAX_BYTES: "5MB",
            },
            "BULK_MAX_BYTES must be an integer",
        ),
        (
            {env.ENV_OPENSEARCH_ENDPOINT: "x", env.ENV_OPENSEARCH_AUTH: "none", env.ENV_SHIP_EMF: "maybe"},
            "SHIP_EMF must be true or false",
        ),
        *(
            (
                {
                    env.ENV_OPENSEARCH_ENDPOINT: "http://search.example.com",
                    env.ENV_OPENSEARCH_AUTH: auth,
                    env.ENV_AWS_REGION: "eu-west-1",
                },
                f"OPENSEARCH_ENDPOINT must be an https:// URL with OPENSEARCH_AUTH={auth}",
            )
            for auth in ("aoss", "es")
        ),
    ],
)
def test_bad_config_names_the_setting(variables, message):
    with pytest.raises(ConfigError, match=message):
        ShipperConfig.from_env(variables)


def test_plain_http_is_allowed_only_without_signing():
    local = ShipperConfig.from_env(
        {env.ENV_OPENSEARCH_ENDPOINT: "http://127.0.0.1:9200", env.ENV_OPENSEARCH_AUTH: "none"}
    )
    assert local.endpoint == "http://127.0.0.1:9200"
    with pytest.raises(ConfigError, match="SigV4-signed traffic must be encrypted"):
        ShipperConfig(endpoint="http://127.0.0.1:9200", auth="es", region="eu-west-1")


def test_config_defaults():
    config = ShipperConfig.from_env(
        {env.ENV_OPENSEARCH_ENDPOINT: "abc.eu-west-1.aoss.amazonaws.com", env.ENV_AWS_REGION: "eu-west-1"}
    )
    assert config.endpoint == "https://abc.eu-west-1.aoss.amazonaws.com"
    assert config.auth == "aoss"
    assert config.bulk_max_bytes == 5 * 1024 * 1024
    assert config.use_document_id is False
    assert config.ship_emf is False


def test_malformed_event_is_dead_lettered_whole(scripted_bulk, dead_letter_bucket):
    s3, bucket, key_id = dead_letter_bucket
    lines: list[str] = []
    shipper = Shipper(
        ShipperConfig(endpoint=scripted_bulk.url),
        dead_letters=S3DeadLetters(s3, bucket, key_id, "dl/"),
        write=lines.append,
    )
    event: dict[str, Any] = {"awslogs": {"data": "bm90IGd6aXA="}}

    summary = shipper.handle(event, FakeContext())

    assert summary["malformed"] is True
    assert scripted_bulk.requests == []
    (record,) = dead_letter_records(s3, bucket)
    assert record["kind"] == "malformed"
    assert record["event"] == event
    assert "not valid gzip" in record["reason"]
    assert record["request_id"] == FakeContext().aws_request_id
    assert json.loads(lines[-1])["level"] == "ERROR"
    assert json.loads(lines[-1])["message"] == SHIPPER_DEAD_LETTER_MESSAGE


def test_control_message_is_a_no_op(scripted_bulk):
    lines: list[str] = []
    shipper = Shipper(ShipperConfig(endpoint=scripted_bulk.url), write=lines.append)
    payload = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE"}],
    }
    summary = shipper.handle(encode_payload(payload), FakeContext())
    assert summary["docs_indexed"] == 0
    assert scripted_bulk.requests == []
    assert lines == []


def test_each_invocation_writes_one_emf_record_and_one_summary_line(scripted_bulk):
    lines: list[str] = []
    shipper = Shipper(ShipperConfig(endpoint=scripted_bulk.url), write=lines.append)
    payload = make_payload(8)
    payload["logEvents"].append(
        {
            "id": "9" * 56,
            "timestamp": 1,
            "message": json.dumps(
                {
                    "_aws": {
                        "Timestamp": 1,
                        "CloudWatchMetrics": [{"Namespace": "X", "Dimensions": [[]], "Metrics": []}],
                    }
                }
            ),
        }
    )

    shipper.handle(encode_payload(payload), FakeContext())

    emf, summary = (json.loads(line) for line in lines)
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == M.NAMESPACE
    assert directive["Dimensions"] == [[M.DIM_SERVICE]]
    assert [metric["Name"] for metric in directive["Metrics"]] == list(M.SHIPPER_METRICS)
    assert emf[M.DIM_SERVICE] == SHIPPER_SERVICE
    assert emf[M.SHIPPER_EVENTS_RECEIVED] == 9
    assert emf[M.SHIPPER_DOCS_INDEXED] == 8
    assert emf[M.SHIPPER_EMF_SKIPPED] == 1
    assert emf[M.SHIPPER_BULK_REQUESTS] == 1
    assert emf[M.SHIPPER_BULK_BYTES] == scripted_bulk.requests[0].body_bytes
    assert emf[M.SHIPPER_INGEST_LAG] > 0
    assert summary["service"] == SHIPPER_SERVICE
    assert summary["level"] == "INFO"
    assert summary["docs_indexed"] == 8
    assert summary["function_request_id"] == FakeContext().aws_request_id
