"""Config is read once from the environment and every bad setting is named in the error."""

from __future__ import annotations

import pytest

from function.config import ConfigError, load_config

VALID = {
    "BUCKET_NAME": "obs-platform-data-123456789012",
    "NEXT_TOKEN_SECRET": "s" * 32,
    "AWS_REGION": "eu-west-1",
}


def test_defaults():
    config = load_config(VALID)
    assert (config.s3_connect_timeout, config.s3_read_timeout, config.s3_max_attempts) == (2.0, 5.0, 3)
    assert config.token_secret == b"s" * 32


def test_explicit_values_and_default_region_fallback():
    environ = {**VALID, "S3_CONNECT_TIMEOUT": "0.5", "S3_READ_TIMEOUT": "10", "S3_MAX_ATTEMPTS": "5"}
    del environ["AWS_REGION"]
    environ["AWS_DEFAULT_REGION"] = "us-east-2"
    config = load_config(environ)
    assert (config.s3_connect_timeout, config.s3_read_timeout, config.s3_max_attempts) == (0.5, 10.0, 5)
    assert config.region == "us-east-2"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BUCKET_NAME", "", "invalid configuration: BUCKET_NAME is not set"),
        ("BUCKET_NAME", "a..b", "invalid configuration: BUCKET_NAME is not a valid S3 bucket name: 'a..b'"),
        ("NEXT_TOKEN_SECRET", "x" * 31, "invalid configuration: NEXT_TOKEN_SECRET must be at least 32"),
        ("AWS_REGION", "Europe", "invalid configuration: AWS_REGION is not a valid AWS region: 'Europe'"),
        ("S3_READ_TIMEOUT", "nan", "invalid configuration: S3_READ_TIMEOUT must be a number of seconds"),
        ("S3_READ_TIMEOUT", "61", "invalid configuration: S3_READ_TIMEOUT must be a number of seconds"),
        ("S3_CONNECT_TIMEOUT", "-1", "invalid configuration: S3_CONNECT_TIMEOUT must be a number"),
        ("S3_MAX_ATTEMPTS", "0", "invalid configuration: S3_MAX_ATTEMPTS must be an integer from 1 to 10"),
        ("S3_MAX_ATTEMPTS", "²", "invalid configuration: S3_MAX_ATTEMPTS must be an integer from 1 to 10"),
    ],
)
def test_bad_setting_is_named(name, value, message):
    with pytest.raises(ConfigError) as raised:
        load_config({**VALID, name: value})
    assert raised.value.setting == name
    assert str(raised.value).startswith(message)


def test_repr_keeps_the_secret_out():
    assert "s" * 32 not in repr(load_config(VALID))
