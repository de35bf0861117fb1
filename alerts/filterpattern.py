"""Match log events against the CloudWatch Logs filter-pattern subset the catalog uses.

Lets tests prove each metric filter counts the lines the code really prints, and lets the local
stack (which has no metric filters) derive the same metrics. Supported, per the CloudWatch Logs
"Filter pattern syntax" page:

- JSON patterns ``{ SELECTOR OP VALUE && ... || ... }`` with selectors ``$.a.b``, operators
  ``= != < <= > >=``, quoted strings or numbers (``*`` wildcards in strings); they only match events
  that are JSON objects.
- Text patterns: space-separated terms and ``"quoted phrases"``; every one must occur in the event
  (case-sensitive). An empty pattern matches everything.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from typing import Any

_COMPARISON = re.compile(
    r'^\s*(\$(?:\.[A-Za-z0-9_@-]+)+)\s*(=|!=|<=|>=|<|>)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)\s*$'
)


class PatternError(ValueError):
    """The filter pattern is outside the supported subset."""


def _select(document: Any, selector: str) -> Any:
    value = document
    for part in selector.split(".")[1:]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _compare(document: Any, clause: str) -> bool:
    match = _COMPARISON.match(clause)
    if not match:
        raise PatternError(f"unsupported JSON filter clause {clause.strip()!r}")
    selector, op, literal = match.groups()
    actual = _select(document, selector)
    if literal.startswith('"'):
        expected = json.loads(literal)
        if op not in ("=", "!="):
            raise PatternError(f"operator {op} needs a number in {clause.strip()!r}")
        equal = isinstance(actual, str) and fnmatch.fnmatchcase(actual, expected)
        return equal if op == "=" else not equal
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    number = float(literal)
    return {
        "=": actual == number,
        "!=": actual != number,
        "<": actual < number,
        "<=": actual <= number,
        ">": actual > number,
        ">=": actual >= number,
    }[op]


def matches(pattern: str, message: str) -> bool:
    """True when CloudWatch Logs would count ``message`` for ``pattern``."""
    text = pattern.strip()
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("a JSON filter pattern must end with '}'")
        try:
            document = json.loads(message)
        except ValueError:
            return False
        if not isinstance(document, dict):
            return False
        body = text[1:-1]
        if "(" in body:
            raise PatternError("parentheses in JSON filter patterns are not supported here")
        return any(
            all(_compare(document, clause) for clause in alternative.split("&&"))
            for alternative in body.split("||")
        )
    try:
        terms = shlex.split(text)
    except ValueError as exc:
        raise PatternError(f"cannot read text pattern: {exc}") from None
    return all(term in message for term in terms)
