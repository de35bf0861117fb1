"""The settings readers both Lambdas use: empty means unset, every bad value names its variable."""

from __future__ import annotations

import pytest

from signals.lambda_env import ConfigError, flag, integer, required, seconds, text


def test_blank_is_unset() -> None:
    assert text({"X": "  "}, "X") is None
    assert text({"X": " a "}, "X") == "a"
    assert integer({"X": " "}, "X", 7, 1, 10) == 7
    assert seconds({}, "X", 2.5, 30) == 2.5
    assert flag({"X": ""}, "X", True) is True


def test_required_names_the_variable() -> None:
    with pytest.raises(ConfigError) as raised:
        required({"X": " "}, "X")
    assert (raised.value.setting, str(raised.value)) == ("X", "invalid configuration: X is not set")


@pytest.mark.parametrize("raw", ["0", "11", "²", "٣", "1.5", "+3", "-", "0x5", "9" * 40])
def test_integer_refuses_anything_but_ascii_digits_in_range(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^invalid configuration: N must be an integer from 1 to 10, got"):
        integer({"N": raw}, "N", 3, 1, 10)


def test_integer_accepts_negative_bounds() -> None:
    assert integer({"N": "-5"}, "N", 0, -10, 10) == -5
    assert integer({"N": "10"}, "N", 0, -10, 10) == 10


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "0", "-1", "31", "abc"])
def test_seconds_refuses_non_positive_non_finite_and_too_long(raw: str) -> None:
    with pytest.raises(
        ConfigError, match=r"^invalid configuration: T must be a number of seconds in \(0, 30\]"
    ):
        seconds({"T": raw}, "T", 1.0, 30)


@pytest.mark.parametrize(
    ("raw", "expected"), [("TRUE", True), ("on", True), ("1", True), ("No", False), ("0", False)]
)
def test_flag_spellings(raw: str, expected: bool) -> None:
    assert flag({"F": raw}, "F", not expected) is expected


def test_flag_refuses_anything_else() -> None:
    with pytest.raises(ConfigError, match=r"^invalid configuration: F must be true or false, got 'maybe'$"):
        flag({"F": "maybe"}, "F", False)
