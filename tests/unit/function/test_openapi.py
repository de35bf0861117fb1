"""The committed OpenAPI file is valid 3.1 and describes what the handler really answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from function import errors, params
from function.pagination import MAX_TOKEN_CHARS

from .support import BUCKET, body, list_event, load_event, make_s3_fail

SPEC_PATH = Path(__file__).resolve().parents[3] / "function" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def _operation(spec: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"]["/objects"]["get"]
    return operation


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def assert_matches_spec(spec: dict[str, Any], response: dict[str, Any]) -> None:
    """Validate a handler response (status, headers, JSON body) against the spec."""
    documented = _operation(spec)["responses"]
    status = str(response["statusCode"])
    assert status in documented, f"undocumented status {status}"
    definition = _resolve(spec, documented[status])
    schema = definition["content"]["application/json"]["schema"]
    validator = Draft202012Validator({"components": spec["components"], **schema})
    validator.validate(body(response))
    headers = {name.lower(): value for name, value in response["headers"].items()}
    assert headers["content-type"] == "application/json"
    for name, header in definition.get("headers", {}).items():
        header = _resolve(spec, header)
        if header.get("required") or name.lower() in headers:
            Draft202012Validator(header["schema"]).validate(headers[name.lower()])


def test_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_parameters_match_the_implementation(spec):
    documented = {parameter["name"]: parameter for parameter in _operation(spec)["parameters"]}
    assert set(documented) == set(params.PARAMETERS)
    assert all(parameter["in"] == "query" for parameter in documented.values())
    limit = documented[params.PARAM_LIMIT]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (
        params.MIN_LIMIT,
        params.MAX_LIMIT,
        params.DEFAULT_LIMIT,
    )
    assert documented[params.PARAM_PREFIX]["schema"]["maxLength"] == params.MAX_PREFIX_BYTES
    assert documented[params.PARAM_NEXT_TOKEN]["schema"]["maxLength"] == MAX_TOKEN_CHARS


def test_every_400_message_is_documented(spec):
    described = " ".join(_operation(spec)["responses"]["400"]["description"].split())
    messages = [
        errors.MSG_PREFIX_TOO_LONG.format(max_bytes=params.MAX_PREFIX_BYTES),
        errors.MSG_PREFIX_CONTROL_CHARS,
        errors.MSG_LIMIT.format(low=params.MIN_LIMIT, high=params.MAX_LIMIT),
        errors.MSG_TOKEN_INVALID,
        errors.MSG_TOKEN_OTHER_PREFIX,
        errors.MSG_TOKEN_EXPIRED,
        errors.MSG_UNKNOWN_PARAMETER.format(name="NAME"),
        errors.MSG_REPEATED_PARAMETER.format(name="NAME"),
    ]
    for message in messages:
        assert f"`{message}`" in described, message


def test_real_responses_match_the_spec(spec, s3, invoke):
    for index in range(3):
        s3.put_object(Bucket=BUCKET, Key=f"docs/{index}.md", Body=b"# title")
    s3.put_object(Bucket=BUCKET, Key="docs/archive.tar", Body=b"x", StorageClass="GLACIER_IR")
    first, _ = invoke(list_event({"prefix": "docs/", "limit": "2"}))
    assert body(first)["next_token"]
    last, _ = invoke(list_event({"prefix": "docs/", "next_token": body(first)["next_token"]}))
    assert body(last)["next_token"] is None
    responses = [
        first,
        last,
        invoke(list_event({"limit": "0"}))[0],
        invoke(list_event({"next_token": "AAAA"}))[0],
        invoke(list_event({"sort": "asc"}))[0],
        invoke(load_event("apigw_default_route_post.json"))[0],
    ]
    stranger = list_event()
    stranger["requestContext"]["authorizer"]["iam"]["userArn"] = "arn:aws:iam::123456789012:user/mallory"
    responses.append(invoke(stranger)[0])
    make_s3_fail(503, "SlowDown")
    responses.append(invoke(list_event())[0])
    make_s3_fail(500, "InternalError")
    responses.append(invoke(list_event())[0])
    statuses = [response["statusCode"] for response in responses]
    assert statuses == [200, 200, 400, 400, 400, 404, 403, 503, 500]
    for response in responses:
        assert_matches_spec(spec, response)
