"""The local region: one rule for ``obsctl serve`` and ``obsctl call`` against it."""

from __future__ import annotations

import pytest

from local_platform.names import LocalNames
from obsctl.local_target import LOCAL_REGION, local_region


@pytest.fixture
def no_region_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    return monkeypatch


def test_default_is_eu_west_1(no_region_env: pytest.MonkeyPatch) -> None:
    assert local_region() == LOCAL_REGION == "eu-west-1"
    assert LocalNames().region == "eu-west-1"


def test_aws_region_then_aws_default_region_then_the_flag(no_region_env: pytest.MonkeyPatch) -> None:
    no_region_env.setenv("AWS_DEFAULT_REGION", "us-east-2")
    assert local_region() == "us-east-2"
    no_region_env.setenv("AWS_REGION", "ap-southeast-2")
    assert local_region() == "ap-southeast-2"
    assert LocalNames().region == "ap-southeast-2"
    assert local_region("us-gov-west-1") == "us-gov-west-1"


@pytest.mark.parametrize("bad", ["Europe", "eu-west", "EU-WEST-1", "eu-west-1 ", "eu-west-1/x"])
def test_not_a_region_is_a_clear_error(no_region_env: pytest.MonkeyPatch, bad: str) -> None:
    with pytest.raises(ValueError, match="--region is not an AWS region name"):
        local_region(bad)
    no_region_env.setenv("AWS_REGION", bad)
    with pytest.raises(ValueError, match="AWS_REGION is not an AWS region name"):
        local_region()
