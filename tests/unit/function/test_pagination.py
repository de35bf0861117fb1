"""next_token: round trip, binding to the prefix, and rejection of anything not minted by us."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from function.errors import MSG_TOKEN_INVALID, MSG_TOKEN_OTHER_PREFIX, BadRequestError
from function.pagination import decode_token, encode_token

SECRET = b"k" * 32


@given(prefix=st.text(max_size=64), continuation=st.text(min_size=1, max_size=300))
@settings(max_examples=60, deadline=None)
def test_round_trip(prefix, continuation):
    token = encode_token(SECRET, prefix, continuation)
    assert decode_token(SECRET, prefix, token) == continuation


@given(prefix=st.text(max_size=16), other=st.text(max_size=16))
@settings(max_examples=40, deadline=None)
def test_token_is_bound_to_its_prefix(prefix, other):
    token = encode_token(SECRET, prefix, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
    if other == prefix:
        assert decode_token(SECRET, other, token)
    else:
        with pytest.raises(BadRequestError, match=MSG_TOKEN_OTHER_PREFIX):
            decode_token(SECRET, other, token)


@given(token=st.text(max_size=200))
@settings(max_examples=80, deadline=None)
def test_arbitrary_strings_are_rejected(token):
    with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
        decode_token(SECRET, "", token)


def test_every_single_character_change_is_rejected():
    token = encode_token(SECRET, "logs/", "opaque-s3-continuation")
    for position in range(len(token)):
        replacement = "A" if token[position] != "A" else "B"
        tampered = token[:position] + replacement + token[position + 1 :]
        with pytest.raises(BadRequestError):
            decode_token(SECRET, "logs/", tampered)


def test_a_token_has_exactly_one_spelling():
    # Given tokens whose last base64url character carries unused bits (length % 4 is 2 or 3)
    alphabet = string.ascii_letters + string.digits + "-_"
    twins = 0
    for continuation in ("a", "ab", "abc", "abcd"):
        token = encode_token(SECRET, "", continuation, issued_at=1_700_000_000)
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        for char in alphabet.replace(token[-1], ""):
            twin = token[:-1] + char
            if base64.urlsafe_b64decode(twin + "=" * (-len(twin) % 4)) != decoded:
                continue
            twins += 1
            # When the twin (same bytes, other unused bits) is presented, Then it is refused
            with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
                decode_token(SECRET, "", twin, now=1_700_000_000)
        assert decode_token(SECRET, "", token, now=1_700_000_000) == continuation
    assert twins > 0, "no token with unused bits was generated: the test checked nothing"


def test_other_secret_and_oversized_tokens_are_rejected():
    token = encode_token(SECRET, "", "c")
    with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
        decode_token(b"z" * 32, "", token)
    with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
        decode_token(SECRET, "", "A" * 2049)
    with pytest.raises(BadRequestError, match=MSG_TOKEN_INVALID):
        decode_token(SECRET, "", token + "\n")
