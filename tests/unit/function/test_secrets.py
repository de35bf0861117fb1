"""The token keys from Secrets Manager (moto in-process): AWSCURRENT signs, AWSPREVIOUS still verifies."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from function import app
from function.config import ConfigError, load_config
from function.secrets import ClientSettings, SecretReadError, read_token_keys

from .support import BUCKET, REGION, body, list_event

OLD_KEY = "old-key-0123456789abcdefghijklmnopqrstuv"
NEW_KEY = "new-key-0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def secret_arn(s3: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The function's environment as infra/live sets it: the secret's ARN, no key in the environment."""
    client = boto3.client("secretsmanager", region_name=REGION)
    arn: str = client.create_secret(Name="obs-platform-next-token-secret", SecretString=OLD_KEY)["ARN"]
    monkeypatch.delenv("NEXT_TOKEN_SECRET")
    monkeypatch.setenv("NEXT_TOKEN_SECRET_ARN", arn)
    app.reset_runtime()
    return arn


def _rotate(arn: str, value: str) -> None:
    # What Terraform's write-only secret_string_wo does on a version bump: PutSecretValue, which
    # moves AWSCURRENT to the new version and AWSPREVIOUS to the old one.
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(SecretId=arn, SecretString=value)


def _page(invoke: Any, token: str) -> dict[str, Any]:
    response, _ = invoke(list_event({"prefix": "p/", "next_token": token}))
    return {"status": response["statusCode"], **body(response)}


def test_a_secret_written_once_gives_the_current_key_and_no_previous(secret_arn, monkeypatch):
    import os

    config = load_config(os.environ)
    assert config.token_secret == OLD_KEY.encode()
    assert config.previous_token_secret is None


def test_after_a_rotation_new_tokens_use_the_new_key_and_old_ones_still_work(secret_arn, s3, invoke):
    # Given two objects and a token signed with the key before the rotation
    for key in ("p/1", "p/2"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    response, _ = invoke(list_event({"prefix": "p/", "limit": "1"}))
    old_token = body(response)["next_token"]
    # When the secret rotates and a new execution environment starts
    _rotate(secret_arn, NEW_KEY)
    app.reset_runtime()
    # Then the old token is still honoured (AWSPREVIOUS), a new one is signed with AWSCURRENT
    assert _page(invoke, old_token)["status"] == 200
    response, _ = invoke(list_event({"prefix": "p/", "limit": "1"}))
    new_token = body(response)["next_token"]
    assert new_token != old_token
    assert app.runtime().config.token_secret == NEW_KEY.encode()
    assert _page(invoke, new_token)["status"] == 200
    # And a key two rotations old is not
    _rotate(secret_arn, "third-key-0123456789abcdefghijklmnopqrst")
    app.reset_runtime()
    assert _page(invoke, old_token) == {
        "status": 400,
        "error": "bad_request",
        "message": "next_token is not a valid token",
    }


def test_the_environment_key_wins_over_the_arn(secret_arn, monkeypatch):
    import os

    monkeypatch.setenv("NEXT_TOKEN_SECRET", NEW_KEY)
    assert load_config(os.environ).token_secret == NEW_KEY.encode()


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        ("", "NEXT_TOKEN_SECRET_ARN is not set (nor NEXT_TOKEN_SECRET)"),
        ("obs-platform-next-token-secret", "NEXT_TOKEN_SECRET_ARN is not a Secrets Manager secret ARN"),
        ("arn:aws:s3:::bucket", "NEXT_TOKEN_SECRET_ARN is not a Secrets Manager secret ARN"),
    ],
)
def test_a_bad_arn_is_named(secret_arn, monkeypatch, arn, problem):
    import os

    monkeypatch.setenv("NEXT_TOKEN_SECRET_ARN", arn)
    with pytest.raises(ConfigError) as raised:
        load_config(os.environ)
    assert str(raised.value).startswith("invalid configuration: " + problem)


def test_a_missing_secret_fails_the_cold_start_naming_the_setting(secret_arn, monkeypatch):
    import os

    monkeypatch.setenv("NEXT_TOKEN_SECRET_ARN", secret_arn.replace("next-token-secret", "gone"))
    with pytest.raises(ConfigError) as raised:
        load_config(os.environ)
    assert raised.value.setting == "NEXT_TOKEN_SECRET_ARN"
    assert "could not be read (AWSCURRENT): ResourceNotFoundException" in str(raised.value)


def test_a_short_key_in_the_secret_is_refused(secret_arn):
    import os

    _rotate(secret_arn, "short")
    with pytest.raises(ConfigError) as raised:
        load_config(os.environ)
    assert raised.value.setting == "NEXT_TOKEN_SECRET_ARN (AWSCURRENT)"
    assert "short" not in str(raised.value).replace("must be at least", "")


def test_an_unreachable_endpoint_is_a_clear_error_without_the_value():
    class Unreachable:
        def get_secret_value(self, **kwargs: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://secretsmanager.eu-west-1.amazonaws.com")

    with pytest.raises(SecretReadError, match=r"could not be read \(AWSCURRENT\): EndpointConnectionError"):
        read_token_keys(Unreachable(), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf")


def test_one_client_with_the_functions_timeouts_and_standard_retries(secret_arn, monkeypatch):
    import os

    made: list[ClientSettings] = []

    def factory(settings: ClientSettings) -> Any:
        made.append(settings)
        return boto3.client("secretsmanager", region_name=settings.region)

    monkeypatch.setenv("S3_CONNECT_TIMEOUT", "1.5")
    load_config(os.environ, secrets_client=factory)
    assert made == [ClientSettings(region=REGION, connect_timeout=1.5, read_timeout=5.0, max_attempts=1)]
    from function.secrets import create_secrets_client

    client: Any = create_secrets_client(made[0])
    assert client.meta.config.connect_timeout == 1.5
    # botocore counts the first try in total_max_attempts
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 2}
