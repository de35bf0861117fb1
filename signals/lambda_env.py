"""What both Lambdas need at start-up: typed settings read from the environment, and the GC pause.

Settings: each reader takes the environment as an explicit mapping (``os.environ`` only in the
handler), treats an empty value as unset, and raises ``ConfigError`` naming the variable, so a bad
deployment fails its first invocation with a message an operator can act on.

Collector: a Lambda's start-up and a shipper batch allocate many objects and almost no reference
cycles, so the cyclic collector only walks them again and again. ``gc_paused`` switches it off for
such a stretch and back to its previous state afterwards. ``freeze=True`` also moves every object
alive at the end into the permanent generation (``gc.freeze()``), so warm invocations' collections
skip it; that applies to the whole process, so callers ask for it only where the process *is* the
function: ``in_lambda_runtime``. See docs/decisions/0002-gc-pause-at-cold-start.md.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from signals.config import ENV_AWS_LAMBDA_FUNCTION_NAME, ENV_AWS_LAMBDA_RUNTIME_API

__all__ = [
    "ConfigError",
    "flag",
    "gc_paused",
    "in_lambda_runtime",
    "integer",
    "pause_gc",
    "required",
    "resume_gc",
    "seconds",
    "text",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ConfigError(ValueError):
    """A setting is missing or invalid; ``setting`` names the environment variable."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"invalid configuration: {setting} {problem}")
        self.setting = setting


def text(environ: Mapping[str, str], name: str) -> str | None:
    """The stripped value, or None when unset or blank."""
    return environ.get(name, "").strip() or None


def required(environ: Mapping[str, str], name: str) -> str:
    value = text(environ, name)
    if value is None:
        raise ConfigError(name, "is not set")
    return value


def integer(environ: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    """A decimal integer in [minimum, maximum] (ASCII digits only: ``int()`` also takes ``²``, ``٣``)."""
    raw = text(environ, name)
    if raw is None:
        return default
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18) or not (
        minimum <= int(raw) <= maximum
    ):
        raise ConfigError(name, f"must be an integer from {minimum} to {maximum}, got {raw!r}")
    return int(raw)


def seconds(environ: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    """A duration in (0, maximum] seconds; nan and inf are refused."""
    raw = text(environ, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= maximum:  # also false for nan
        raise ConfigError(name, f"must be a number of seconds in (0, {maximum:g}], got {raw!r}")
    return value


def flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """true/false, 1/0, yes/no, on/off (any case); unset or blank gives ``default``."""
    raw = text(environ, name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(name, f"must be true or false, got {raw!r}")


def in_lambda_runtime(environ: Mapping[str, str]) -> bool:
    """True inside a Lambda execution environment (both variables are reserved and set by Lambda).

    ``AWS_LAMBDA_RUNTIME_API`` is what the runtime interface client polls; a test host or the local
    gateway sets at most the function name.
    """
    return bool(text(environ, ENV_AWS_LAMBDA_FUNCTION_NAME) and text(environ, ENV_AWS_LAMBDA_RUNTIME_API))


def pause_gc() -> bool:
    """Switch the collector off; returns whether it was on, to hand to ``resume_gc``.

    For a stretch that is not one block (a module's import); otherwise use ``gc_paused``.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    return was_enabled


def resume_gc(was_enabled: bool, *, freeze: bool = False) -> None:
    """Optionally freeze every object alive now, then restore the collector's previous state."""
    if freeze:
        gc.freeze()
    if was_enabled:
        gc.enable()


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """The collector off for the block, then as it was (frozen first when ``freeze``), even on error."""
    was_enabled = pause_gc()
    try:
        yield
    finally:
        resume_gc(was_enabled, freeze=freeze)
