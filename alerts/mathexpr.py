"""A small, safe parser and evaluator for the CloudWatch metric-math subset the catalog uses.

Supported: numbers, metric ids, ``+ - * /``, unary minus, parentheses and ``FILL(expr, value)``.
Semantics follow CloudWatch: an arithmetic result exists for a timestamp only when every operand
has a value there; division by zero yields no value; ``FILL`` supplies a constant where its
argument has none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


class ExpressionError(ValueError):
    """The expression is not in the supported metric-math subset."""


class Node:
    def ids(self) -> set[str]:
        raise NotImplementedError

    def value(self, lookup: Callable[[str], float | None]) -> float | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Num(Node):
    number: float

    def ids(self) -> set[str]:
        return set()

    def value(self, lookup: Callable[[str], float | None]) -> float | None:
        return self.number


@dataclass(frozen=True)
class Ref(Node):
    id: str

    def ids(self) -> set[str]:
        return {self.id}

    def value(self, lookup: Callable[[str], float | None]) -> float | None:
        return lookup(self.id)


@dataclass(frozen=True)
class Neg(Node):
    operand: Node

    def ids(self) -> set[str]:
        return self.operand.ids()

    def value(self, lookup: Callable[[str], float | None]) -> float | None:
        inner = self.operand.value(lookup)
        return None if inner is None else -inner


@dataclass(frozen=True)
class BinOp(Node):
    op: str
    left: Node
    right: Node

    def ids(self) -> set[str]:
        return self.left.ids() | self.right.ids()

    def value(self, lookup: Callable[[str], float | None]) -> float | None:
        a, b = self.left.value(lookup), self.right.value(lookup)
        if a is None or b is None:
            return None
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        return None if b == 0 else a / b


@dataclass(frozen=True)
class Fill(Node):
    operand: Node
    fill: float

    def ids(self) -> set[str]:
        return self.operand.ids()

    def value(self, lookup: Callable[[str], float | None]) -> float | None:
        inner = self.operand.value(lookup)
        return self.fill if inner is None else inner


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise ExpressionError(f"cannot read expression at {text[pos:]!r}")
            number, name, other = match.groups()
            if number is not None:
                self.tokens.append(("num", number))
            elif name is not None:
                self.tokens.append(("name", name))
            elif other is not None and other in "+-*/(),":
                self.tokens.append(("op", other))
            elif other is not None and not other.isspace():
                raise ExpressionError(f"unsupported character {other!r} in expression")
            pos = match.end()
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (op is not None and token != ("op", op)):
            raise ExpressionError(f"expected {op or 'a term'} in expression")
        self.pos += 1
        return token

    def expression(self) -> Node:
        node = self.term()
        while (token := self.peek()) in (("op", "+"), ("op", "-")):
            self.pos += 1
            node = BinOp(token[1], node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while (token := self.peek()) in (("op", "*"), ("op", "/")):
            self.pos += 1
            node = BinOp(token[1], node, self.factor())
        return node

    def factor(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Num(float(text))
        if (kind, text) == ("op", "-"):
            return Neg(self.factor())
        if (kind, text) == ("op", "("):
            node = self.expression()
            self.take(")")
            return node
        if kind == "name" and text == "FILL":
            self.take("(")
            inner = self.expression()
            self.take(",")
            fill = self.factor()
            if not isinstance(fill, Num):
                raise ExpressionError("FILL's second argument must be a number")
            self.take(")")
            return Fill(inner, fill.number)
        if kind == "name":
            if self.peek() == ("op", "("):
                raise ExpressionError(f"unsupported function {text}()")
            return Ref(text)
        raise ExpressionError(f"unexpected {text!r} in expression")


def parse(text: str) -> Node:
    parser = _Parser(text)
    node = parser.expression()
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected {parser.peek()[1]!r} after the expression")  # type: ignore[index]
    return node


def evaluate(
    node: Node, series: Mapping[str, Mapping[int, float]], timestamps: list[int]
) -> dict[int, float]:
    """Evaluate per timestamp; timestamps where the result has no value are left out."""
    result: dict[int, float] = {}
    for ts in timestamps:
        value = node.value(lambda ident, ts=ts: series.get(ident, {}).get(ts))  # type: ignore[misc]
        if value is not None:
            result[ts] = value
    return result
