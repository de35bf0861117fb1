"""Run a Lambda handler in-process the way the Lambda runtime does, and capture what it prints.

One :class:`LocalFunction` is one warm execution environment: the handler module is imported on
the first invocation (that import is the ``Init Duration``), invocations are serialised, each gets a
context with a deadline and an ``_X_AMZN_TRACE_ID``, and everything the handler writes to stdout is
collected as log lines together with Lambda's platform lines (``START``, ``END``, ``REPORT`` in the
text log format, with measured durations and memory).
"""

from __future__ import annotations

import importlib
import io
import os
import resource
import secrets
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from signals import config as env

__all__ = ["Handler", "Invocation", "LambdaContext", "LocalFunction", "install_capture"]

Handler = Callable[[dict[str, Any], Any], Any]


class _StdoutCapture(io.TextIOBase):
    """Replaces ``sys.stdout``: writes from an invoking thread go to its buffer, others pass through."""

    def __init__(self, original: TextIO) -> None:
        self.original = original
        self._local = threading.local()

    def begin(self) -> None:
        self._local.buffer = []

    def end(self) -> str:
        parts: list[str] = getattr(self._local, "buffer", None) or []
        self._local.buffer = None
        return "".join(parts)

    def write(self, text: str) -> int:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:
            return self.original.write(text)
        buffer.append(text)
        return len(text)

    def flush(self) -> None:
        self.original.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


_capture_lock = threading.Lock()
_capture: _StdoutCapture | None = None


def install_capture() -> _StdoutCapture:
    """Make ``sys.stdout`` the one process-wide capture (again, if something swapped it out since).

    Test runners and other tools replace ``sys.stdout`` at will; re-installing before each
    invocation keeps ``print`` (EMF lines) captured, and the capture forwards every write from a
    thread that is not invoking to whatever stdout it replaced most recently.
    """
    global _capture
    with _capture_lock:
        if _capture is None:
            _capture = _StdoutCapture(sys.stdout)
        if sys.stdout is not _capture:
            _capture.original = sys.stdout
            sys.stdout = _capture
        return _capture


@dataclass
class LambdaContext:
    """The attributes and method of the Lambda Python runtime's context object."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """What one invocation produced."""

    request_id: str
    result: Any
    error: BaseException | None
    log_lines: list[str]
    """Everything in the order Lambda writes it: START, the handler's lines, END, REPORT."""
    duration_ms: float
    init_duration_ms: float | None
    trace_id: str


@dataclass
class LocalFunction:
    """A warm Lambda execution environment for ``module:attribute``."""

    handler_path: str
    function_name: str
    log_group: str
    region: str
    account_id: str
    memory_mb: int = 256
    timeout_s: float = 10.0
    environment: dict[str, str] = field(default_factory=dict)
    _handler: Handler | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    log_stream: str = ""

    def __post_init__(self) -> None:
        self.log_stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{secrets.token_hex(16)}"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    def recycle(self) -> None:
        """Drop the execution environment: the next invocation is a cold start that reads its
        environment (and imports the handler) again, as after a configuration change."""
        with self._lock:
            self._handler = None

    def invoke(self, event: dict[str, Any]) -> Invocation:
        capture = install_capture()
        with self._lock:
            request_id = str(uuid.uuid4())
            trace_id = _new_trace_id()
            environment = {
                **self._runtime_env(),
                env.ENV_XRAY_TRACE_ID: f"Root={trace_id};Parent={secrets.token_hex(8)};Sampled=1",
            }
            with _scoped_environ(environment):
                init_ms: float | None = None
                init_lines = ""
                if self._handler is None:
                    capture.begin()
                    started = time.perf_counter()
                    self._handler = _fresh_import(self.handler_path)
                    init_ms = (time.perf_counter() - started) * 1000
                    init_lines = capture.end()
                context = LambdaContext(
                    function_name=self.function_name,
                    memory_limit_in_mb=self.memory_mb,
                    invoked_function_arn=self.arn,
                    aws_request_id=request_id,
                    log_group_name=self.log_group,
                    log_stream_name=self.log_stream,
                    deadline=time.monotonic() + self.timeout_s,
                )
                lines = _split_lines(init_lines)
                lines.append(f"START RequestId: {request_id} Version: $LATEST")
                capture.begin()
                started = time.perf_counter()
                error: BaseException | None = None
                result: Any = None
                try:
                    result = self._handler(event, context)
                except Exception as exc:  # the runtime reports any handler failure; so do we
                    error = exc
                duration_ms = (time.perf_counter() - started) * 1000
                lines.extend(_split_lines(capture.end()))
            if error is not None:
                lines.append(_runtime_error_line(error))
            lines.append(f"END RequestId: {request_id}")
            lines.append(_report_line(request_id, duration_ms, self.memory_mb, init_ms, trace_id))
            return Invocation(request_id, result, error, lines, duration_ms, init_ms, trace_id)

    def _runtime_env(self) -> dict[str, str]:
        variables = {
            env.ENV_AWS_REGION: self.region,
            env.ENV_AWS_DEFAULT_REGION: self.region,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "LAMBDA_TASK_ROOT": os.getcwd(),
        }
        variables.update(self.environment)
        return variables


@contextmanager
def _scoped_environ(values: dict[str, str]) -> Iterator[None]:
    """The function's environment exists while it runs, and does not leak into the host process."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _fresh_import(handler_path: str) -> Handler:
    """Import the handler's package afresh, as a new execution environment does (a real cold start,
    reading this environment's configuration), without disturbing modules the host already holds."""
    module_name, _, attribute = handler_path.partition(":")
    package = module_name.split(".")[0]

    def owned(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    previous = {name: module for name, module in sys.modules.items() if owned(name)}
    for name in previous:
        del sys.modules[name]
    try:
        handler: Callable[[dict[str, Any], Any], Any] = getattr(
            importlib.import_module(module_name), attribute
        )
    finally:
        if previous:
            for name in [m for m in sys.modules if owned(m)]:
                del sys.modules[name]
            sys.modules.update(previous)
    return handler


def _split_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _new_trace_id() -> str:
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _runtime_error_line(error: BaseException) -> str:
    # The python runtime's text-format line for an unhandled exception: one event, traceback inside.
    # Skip this module's own frame so the traceback starts in the handler, as on Lambda.
    tb = error.__traceback__.tb_next if error.__traceback__ is not None else None
    stack = "".join(traceback.format_exception(type(error), error, tb))
    return f"[ERROR] {type(error).__name__}: {error}\n{stack}".rstrip()


def _report_line(
    request_id: str, duration_ms: float, memory_mb: int, init_ms: float | None, trace_id: str
) -> str:
    # ru_maxrss is KiB on Linux; locally it is the peak of the whole stack process (emulator included).
    max_memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {max(1, int(duration_ms + 0.999))} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_mb} MB",
    ]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    line = "\t".join(parts) + "\t"
    return f"{line}\nXRAY TraceId: {trace_id}\tSegmentId: {secrets.token_hex(8)}\tSampled: true\t"
