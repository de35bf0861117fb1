"""Only the listed callers may list the bucket; everyone else gets the fixed 403 before S3 is touched.

Also the paging token's lifetime and the secret rotation (previous secret still verifies).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from function.callers import CallerSettingError, parse_allowed_callers
from function.config import ConfigError, load_config
from function.errors import MSG_FORBIDDEN, MSG_TOKEN_EXPIRED, MSG_TOKEN_INVALID, BadRequestError
from function.pagination import CLOCK_SKEW, decode_token, encode_token
from signals import logs as fields
from signals import metrics as M

from .support import BUCKET, CALLER_ARN, SECRET, app_logs, body, emf, list_event
from .test_handler import value

ACCOUNT = "123456789012"
REPORTING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/teams/reporting-reader"


def _as(
    event: dict[str, Any], user_arn: str, org: str | None = None, account: str = ACCOUNT
) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    iam = changed["requestContext"]["authorizer"]["iam"]
    iam.update({"userArn": user_arn, "principalOrgId": org, "accountId": account})
    return changed


def _session(role: str, account: str = ACCOUNT, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:assumed-role/{role}/session-1"


# --- the setting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "identity", "admitted"),
    [
        # a role ARN (with a path) admits any session of the role; the session ARN has no path
        (REPORTING_ROLE, {"userArn": _session("reporting-reader")}, True),
        (REPORTING_ROLE, {"userArn": _session("reporting-reader-2")}, False),
        (REPORTING_ROLE, {"userArn": _session("reporting-reader", account="999999999999")}, False),
        (REPORTING_ROLE, {"userArn": _session("reporting-reader", partition="aws-cn")}, False),
        # a name pattern
        (f"arn:aws:iam::{ACCOUNT}:role/reporting-*", {"userArn": _session("reporting-ci")}, True),
        (f"arn:aws:iam::{ACCOUNT}:role/reporting-*", {"userArn": _session("payments")}, False),
        # a user, exactly (users are not roles: the same name as a role does not match)
        (CALLER_ARN, {"userArn": CALLER_ARN}, True),
        (CALLER_ARN, {"userArn": f"arn:aws:iam::{ACCOUNT}:user/sre-alice2"}, False),
        (f"arn:aws:iam::{ACCOUNT}:role/sre-alice", {"userArn": CALLER_ARN}, False),
        (CALLER_ARN, {"userArn": _session("sre-alice")}, False),
        # an organization
        ("o-a1b2c3d4e5", {"userArn": _session("anyone"), "principalOrgId": "o-a1b2c3d4e5"}, True),
        ("o-a1b2c3d4e5", {"userArn": _session("anyone"), "principalOrgId": "o-zzzzzzzzzz"}, False),
        ("o-a1b2c3d4e5", {"userArn": _session("anyone"), "principalOrgId": None}, False),
        # nothing listed, nothing admitted; no identity, nothing admitted
        ("", {"userArn": CALLER_ARN}, False),
        (CALLER_ARN, {}, False),
        # a forged-looking userArn that merely contains a listed ARN
        (CALLER_ARN, {"userArn": f"{CALLER_ARN}/../admin"}, False),
    ],
)
def test_who_is_admitted(setting: str, identity: dict[str, Any], admitted: bool) -> None:
    assert parse_allowed_callers(setting).admits(identity) is admitted


@pytest.mark.parametrize(
    "entry",
    [
        "*",
        "arn:aws:iam::*:role/x",
        f"arn:aws:iam::{ACCOUNT}:*",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/x/y",
        "123456789012",
        "o-short",
    ],
)
def test_a_bad_entry_is_a_config_error_naming_the_setting(entry: str) -> None:
    with pytest.raises(CallerSettingError, match="is not a role ARN"):
        parse_allowed_callers(f"{CALLER_ARN},{entry}")
    environ = {
        "BUCKET_NAME": BUCKET,
        "NEXT_TOKEN_SECRET": SECRET,
        "AWS_REGION": "eu-west-1",
        "ALLOWED_CALLERS": entry,
    }
    with pytest.raises(ConfigError) as info:
        load_config(environ)
    assert info.value.setting == "ALLOWED_CALLERS"


def test_unset_admits_nobody() -> None:
    config = load_config({"BUCKET_NAME": BUCKET, "NEXT_TOKEN_SECRET": SECRET, "AWS_REGION": "eu-west-1"})
    assert len(config.allowed_callers) == 0
    assert not config.allowed_callers.admits({"userArn": CALLER_ARN, "principalOrgId": "o-a1b2c3d4e5"})


# --- through the handler --------------------------------------------------------------------------


def test_a_caller_not_listed_gets_the_fixed_403_logged_with_the_caller(s3, invoke, monkeypatch):
    # Given an object in the bucket and a caller from the same account who is not listed
    s3.put_object(Bucket=BUCKET, Key="reports/secret.csv", Body=b"x")
    stranger = _session("someone-else")
    calls: list[str] = []
    from function import app

    app.reset_runtime()
    runtime = app.runtime()
    runtime.s3.meta.events.register("before-call.s3", lambda **kw: calls.append(kw["model"].name))
    # When it lists
    response, lines = invoke(_as(list_event({"prefix": "reports/"}), stranger))
    # Then a fixed 403 that names nobody, S3 never called, and a WARNING with the caller
    assert response["statusCode"] == 403
    assert body(response) == {"error": "forbidden", "message": MSG_FORBIDDEN}
    assert "secret" not in response["body"]
    assert calls == []
    (line,) = [entry for entry in app_logs(lines) if entry["message"] == "caller not allowed"]
    assert line["level"] == "WARNING" and line[fields.APP_STATUS] == 403
    assert line[fields.APP_CALLER_ARN] == stranger and line[fields.APP_CALLER_ACCOUNT] == ACCOUNT
    (metric_line,) = [entry for entry in emf(lines) if M.FORBIDDEN_REQUESTS in entry]
    assert value(metric_line, M.FORBIDDEN_REQUESTS) == 1


def test_the_listed_caller_lists(s3, invoke):
    s3.put_object(Bucket=BUCKET, Key="reports/a.csv", Body=b"x")
    response, _ = invoke(list_event({"prefix": "reports/"}))
    assert response["statusCode"] == 200 and body(response)["count"] == 1


def test_unset_setting_refuses_every_caller(s3, invoke, monkeypatch):
    from function import app

    monkeypatch.delenv("ALLOWED_CALLERS")
    app.reset_runtime()
    response, _ = invoke(list_event())
    assert response["statusCode"] == 403


# --- paging token lifetime and rotation -----------------------------------------------------------

NOW = 1_800_000_000


def test_a_token_is_honoured_for_its_lifetime_only() -> None:
    token = encode_token(SECRET.encode(), "p/", "c", issued_at=NOW)
    assert decode_token(SECRET.encode(), "p/", token, lifetime=600, now=NOW + 600) == "c"
    with pytest.raises(BadRequestError, match=MSG_TOKEN_EXPIRED):
        decode_token(SECRET.encode(), "p/", token, lifetime=600, now=NOW + 601)


def test_a_token_from_the_future_is_refused() -> None:
    token = encode_token(SECRET.encode(), "p/", "c", issued_at=NOW + CLOCK_SKEW + 1)
    with pytest.raises(BadRequestError, match=MSG_TOKEN_EXPIRED):
        decode_token(SECRET.encode(), "p/", token, now=NOW)


def test_the_previous_secret_still_verifies_during_a_rotation() -> None:
    old, new = b"o" * 32, b"n" * 32
    token = encode_token(old, "", "c", issued_at=NOW)
    assert decode_token(new, "", token, previous_secret=old, now=NOW + 1) == "c"
    with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
        decode_token(new, "", token, now=NOW + 1)


def test_the_issue_time_cannot_be_changed_without_the_secret() -> None:
    import base64

    token = encode_token(SECRET.encode(), "", "c", issued_at=NOW)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[8] ^= 0x01  # the lowest byte of the issue time
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
        decode_token(SECRET.encode(), "", forged, now=NOW)


def test_an_expired_token_is_a_400_through_the_handler(s3, invoke, monkeypatch):
    token = encode_token(SECRET.encode(), "", "c", issued_at=NOW)
    response, _ = invoke(list_event({"next_token": token}))
    assert response["statusCode"] == 400
    assert body(response) == {"error": "bad_request", "message": MSG_TOKEN_EXPIRED}


@pytest.mark.parametrize(("raw", "problem"), [("59", "from 60"), ("abc", "from 60"), ("604801", "from 60")])
def test_a_bad_lifetime_is_a_config_error(raw: str, problem: str) -> None:
    environ = {"BUCKET_NAME": BUCKET, "NEXT_TOKEN_SECRET": SECRET, "AWS_REGION": "eu-west-1"}
    with pytest.raises(ConfigError, match=problem):
        load_config({**environ, "NEXT_TOKEN_LIFETIME_SECONDS": raw})
    with pytest.raises(ConfigError, match="at least 32"):
        load_config({**environ, "NEXT_TOKEN_PREVIOUS_SECRET": "short"})
