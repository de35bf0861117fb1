"""The generated per-shape parser is ``_parse_application`` exactly: same fields, order and values."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from log_pipeline import parsing

APP_KEYS = sorted(parsing._APP_KEYS)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["INFO", "error", "256", "true", "1.5", "-"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
KEYS = st.one_of(st.sampled_from([*APP_KEYS, "message"]), st.text(min_size=1, max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=12))
def test_generated_parser_equals_the_general_path(obj: dict[str, Any]) -> None:
    shape = tuple(obj)
    assume(not {"_aws", "type", "routeKey"} & set(shape))  # the dispatcher sends those elsewhere
    raw = json.dumps(obj)
    # Given the general path's result (it pops keys: give each path its own copy)
    expected = parsing._parse_application(raw, dict(obj))[1]
    # When the generated parser handles the same line
    got = parsing._shape_parser(shape)(dict(obj), raw)
    # Then fields, their order and their values are the same
    assert list(got.items()) == list(expected.items())
