"""A real, single OpenSearch node on this machine, built from Maven Central jars.

Why not Docker or the distribution tarball: only Maven Central is reachable from where this runs, and a
node from the same jars the distribution ships behaves like the real thing (mappings, ``flat_object``,
``_bulk`` item errors, 429s under pressure). The classpath is resolved once with Maven into ``~/.m2``;
the tiny Java launcher in ``opensearch_node/`` is compiled with ``javac`` into ``build/opensearch/``.
Both are reused while ``pom.xml`` and the launcher source are unchanged.

Each node gets a fresh temporary home (data and logs), binds HTTP and transport to free ports on
127.0.0.1, and is stopped with SIGTERM, then SIGKILL after a grace period; its home is removed at stop.
A node started without ``detach`` is also stopped at interpreter exit, and the JVM itself exits when
the Python process that started it dies, so a killed test run leaves no JVM behind.

Only the standard library is imported here, so ``obsctl --help`` stays fast.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signals.config import ENV_OPENSEARCH_URL

__all__ = [
    "CLUSTER_NAME",
    "DEFAULT_BUILD_DIR",
    "DEFAULT_HEAP",
    "INSTALL_HINT",
    "LAUNCHER_CLASS",
    "LAUNCHER_SOURCE",
    "LOG4J_CONFIG",
    "MAX_HEAP_BYTES",
    "MIN_JAVA_MAJOR",
    "NODE_PROJECT_DIR",
    "OPENSEARCH_VERSION",
    "POM_FILE",
    "STATE_FILE",
    "MissingToolError",
    "NodeHandle",
    "OpenSearchNodeError",
    "cluster_health",
    "ensure_built",
    "find_running_node",
    "opensearch_session",
    "start_node",
]

OPENSEARCH_VERSION = "2.19.6"
MIN_JAVA_MAJOR = 17
INSTALL_HINT = (
    f"OpenSearch needs Java {MIN_JAVA_MAJOR}+ (java, javac) and Maven (mvn): "
    "apt-get install openjdk-17-jdk-headless maven"
)
DEFAULT_HEAP = "512m"
MAX_HEAP_BYTES = 1024**3
CLUSTER_NAME = "obs-local"
LAUNCHER_CLASS = "local.opensearch.LocalNode"

NODE_PROJECT_DIR = Path(__file__).resolve().parent / "opensearch_node"
POM_FILE = NODE_PROJECT_DIR / "pom.xml"
LAUNCHER_SOURCE = NODE_PROJECT_DIR / "src/main/java/local/opensearch/LocalNode.java"
LOG4J_CONFIG = NODE_PROJECT_DIR / "src/main/resources/log4j2.properties"
DEFAULT_BUILD_DIR = Path(__file__).resolve().parents[1] / "build" / "opensearch"
STATE_FILE = DEFAULT_BUILD_DIR / "state.json"
"""Where a detached node (``obsctl opensearch start``) is recorded for ``status`` and ``stop``."""

_STOP_GRACE_SECONDS = 20.0
_HOME_PREFIX = "obs-opensearch-"
_HEAP_PATTERN = re.compile(r"^(\d+)([mMgG])$")


class OpenSearchNodeError(RuntimeError):
    """The local node could not be built, started, found or stopped; the message says why."""


class MissingToolError(OpenSearchNodeError):
    """java, javac or mvn is not installed (or too old); the message says what to install."""


@dataclass
class NodeHandle:
    """A running local node. ``stop()`` is idempotent."""

    url: str
    pid: int
    home: Path
    state_file: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def is_running(self) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        return _is_node_process(self.pid)

    def rss_bytes(self) -> int | None:
        """Resident set size of the JVM (Linux ``/proc``), or None where unavailable."""
        return _rss_bytes(self.pid)

    def stop(self, grace: float = _STOP_GRACE_SECONDS) -> None:
        """SIGTERM (the JVM's shutdown hook closes the node), SIGKILL after ``grace``; remove the home."""
        _LIVE.pop(self.pid, None)
        if self.is_running():
            _signal(self.pid, signal.SIGTERM)
            if not self._wait_exit(grace):
                _signal(self.pid, signal.SIGKILL)
                if not self._wait_exit(10.0):
                    raise OpenSearchNodeError(f"OpenSearch node pid {self.pid} survived SIGKILL")
        _remove_home(self.home)
        if self.state_file is not None:
            state = _read_state_file(self.state_file)
            if state is not None and state.get("pid") == self.pid:
                self.state_file.unlink(missing_ok=True)

    def _wait_exit(self, seconds: float) -> bool:
        if self._process is not None:
            try:
                self._process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not _is_node_process(self.pid):
                return True
            time.sleep(0.1)
        return not _is_node_process(self.pid)


def start_node(
    timeout: float = 120,
    *,
    heap: str = DEFAULT_HEAP,
    http_port: int = 0,
    detach: bool = False,
    build_dir: Path = DEFAULT_BUILD_DIR,
    state_file: Path | None = None,
) -> NodeHandle:
    """Start a node and wait until its cluster health is yellow or green.

    ``http_port=0`` lets the OS pick a free port at bind time (no race with other processes).
    ``detach=True`` is for ``obsctl opensearch start``: the node outlives this process and is recorded
    in ``state_file`` (default ``STATE_FILE``) unless that already names a running node. Otherwise the
    node belongs to this process: it is stopped at interpreter exit, exits by itself if this process
    dies, and is not recorded (so ``obsctl opensearch stop`` can never stop a test session's node).
    ``build_dir`` holds the cached classpath and compiled launcher; ``timeout`` starts after it is
    ready, so the one-time Maven download does not count against it.
    """
    heap_bytes = _parse_heap(heap)
    if not 0 <= http_port <= 65535:
        raise OpenSearchNodeError(f"http_port must be 0..65535, got {http_port}")
    java = _find_tool("java")
    _check_java_version(java)
    classpath = ensure_built(build_dir)

    deadline = time.monotonic() + timeout
    home = Path(tempfile.mkdtemp(prefix=_HOME_PREFIX))
    (home / "logs").mkdir()
    log_path = home / "logs" / "node.log"
    ready_file = home / "ready.json"
    settings = {
        "path.home": str(home),
        "cluster.name": CLUSTER_NAME,
        "node.name": "local",
        "network.host": "127.0.0.1",
        "http.port": str(http_port),
        "transport.port": "0",
        "discovery.type": "single-node",
        "action.auto_create_index": "true",
        # A nearly full developer disk must not turn indices read-only mid-test.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }
    command = [
        java,
        f"-Xms{heap_bytes // 1024**2}m",
        f"-Xmx{heap_bytes // 1024**2}m",
        # One small heap on a 2-core machine: the serial collector starts faster and uses less RSS.
        "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-Dlog4j2.disable.jmx=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        "-cp",
        classpath,
        LAUNCHER_CLASS,
        str(ready_file),
        "0" if detach else str(os.getpid()),
        *(f"{key}={value}" for key, value in settings.items()),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=home,
            start_new_session=True,  # Ctrl-C in the terminal goes to us; we stop the node in order
        )
    handle = NodeHandle(url="", pid=process.pid, home=home, _process=process)
    if not detach:
        _register_for_exit(handle)
    try:
        handle.url = _wait_ready(process, ready_file, log_path, deadline, timeout)
    except BaseException:
        handle.stop(grace=5.0)
        raise
    if detach:
        handle.state_file = _claim_state_file(state_file or STATE_FILE, handle)
    return handle


@contextlib.contextmanager
def opensearch_session(timeout: float = 120) -> Iterator[str]:
    """Yield an OpenSearch URL: ``$OPENSEARCH_URL`` untouched when set, else a node stopped on exit."""
    existing = os.environ.get(ENV_OPENSEARCH_URL)
    if existing:
        yield existing
        return
    handle = start_node(timeout)
    try:
        yield handle.url
    finally:
        handle.stop()


def find_running_node(state_file: Path | None = None) -> NodeHandle | None:
    """The node recorded in ``state_file`` (default ``STATE_FILE``) if it is still running.

    A stale record (the process is gone) is removed together with the node's leftover home.
    """
    state_file = state_file or STATE_FILE
    state = _read_state_file(state_file)
    if state is None:
        return None
    try:
        handle = NodeHandle(
            url=str(state["url"]), pid=int(state["pid"]), home=Path(state["home"]), state_file=state_file
        )
    except (KeyError, TypeError, ValueError):
        state_file.unlink(missing_ok=True)
        return None
    if not handle.is_running():
        _remove_home(handle.home)
        state_file.unlink(missing_ok=True)
        return None
    return handle


def cluster_health(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """``GET /_cluster/health`` as a dict; raises OpenSearchNodeError when unreachable."""
    try:
        with _DIRECT.open(f"{url}/_cluster/health", timeout=timeout) as response:
            body: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise OpenSearchNodeError(f"OpenSearch at {url} did not answer /_cluster/health: {exc}") from exc
    return body


def ensure_built(build_dir: Path = DEFAULT_BUILD_DIR) -> str:
    """Resolve the classpath with Maven and compile the launcher, unless the cached build is current.

    Returns the Java classpath. A file lock keeps two processes from building at the same time.
    """
    build_dir = build_dir.resolve()  # Maven resolves a relative output file against the pom's folder
    build_dir.mkdir(parents=True, exist_ok=True)
    classes = build_dir / "classes"
    classpath_file = build_dir / "classpath.txt"
    stamp_file = build_dir / "stamp"
    stamp = hashlib.sha256(POM_FILE.read_bytes() + b"\0" + LAUNCHER_SOURCE.read_bytes()).hexdigest()
    with (build_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _build_is_current(stamp_file, stamp, classpath_file, classes):
            return f"{classes}{os.pathsep}{classpath_file.read_text().strip()}"
        mvn = _find_tool("mvn")
        javac = _find_tool("javac")
        stamp_file.unlink(missing_ok=True)
        classpath_file.unlink(missing_ok=True)  # build-classpath may keep an existing file unchanged
        _run_build_step(
            [
                mvn,
                "-q",
                "-B",
                "--no-transfer-progress",
                "-Dstyle.color=never",
                "-f",
                str(POM_FILE),
                "dependency:build-classpath",
                f"-Dmdep.outputFile={classpath_file}",
                "-Dmdep.regenerateFile=true",
            ],
            "Maven could not resolve the OpenSearch jars from Maven Central",
        )
        jars = classpath_file.read_text().strip()
        shutil.rmtree(classes, ignore_errors=True)
        _run_build_step(
            [javac, "--release", str(MIN_JAVA_MAJOR), "-cp", jars, "-d", str(classes), str(LAUNCHER_SOURCE)],
            "javac could not compile the OpenSearch launcher",
        )
        stamp_file.write_text(stamp + "\n")
        return f"{classes}{os.pathsep}{jars}"


# --- internals -------------------------------------------------------------------------------------

_LIVE: dict[int, NodeHandle] = {}
# Loopback never goes through an HTTP(S)_PROXY from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_ATEXIT_REGISTERED = False


def _register_for_exit(handle: NodeHandle) -> None:
    global _ATEXIT_REGISTERED
    _LIVE[handle.pid] = handle
    if not _ATEXIT_REGISTERED:
        atexit.register(_stop_all)
        _ATEXIT_REGISTERED = True


def _stop_all() -> None:
    for handle in list(_LIVE.values()):
        with contextlib.suppress(OpenSearchNodeError):
            handle.stop(grace=10.0)


def _find_tool(name: str) -> str:
    java_home = os.environ.get("JAVA_HOME")
    if name in ("java", "javac") and java_home:
        candidate = Path(java_home) / "bin" / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise MissingToolError(f"{INSTALL_HINT} ({name} not found on PATH)")
    return found


def _check_java_version(java: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingToolError(f"{INSTALL_HINT} ({java} -version failed: {exc})") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise MissingToolError(f"{INSTALL_HINT} (cannot read the version of {java})")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_x" style
        major = int(match.group(2))
    if major < MIN_JAVA_MAJOR:
        raise MissingToolError(f"{INSTALL_HINT} ({java} is Java {major})")


def _parse_heap(heap: str) -> int:
    match = _HEAP_PATTERN.match(heap)
    if match is None:
        raise OpenSearchNodeError(f"heap must look like 512m or 1g, got {heap!r}")
    size = int(match.group(1)) * (1024**2 if match.group(2).lower() == "m" else 1024**3)
    if not 128 * 1024**2 <= size <= MAX_HEAP_BYTES:
        raise OpenSearchNodeError(f"heap must be between 128m and 1g, got {heap}")
    return size


def _build_is_current(stamp_file: Path, stamp: str, classpath_file: Path, classes: Path) -> bool:
    if not stamp_file.is_file() or stamp_file.read_text().strip() != stamp:
        return False
    if not (classes / (LAUNCHER_CLASS.replace(".", "/") + ".class")).is_file():
        return False
    if not classpath_file.is_file():
        return False
    jars = [Path(entry) for entry in classpath_file.read_text().strip().split(os.pathsep) if entry]
    return bool(jars) and all(jar.is_file() for jar in jars)  # ~/.m2 may have been cleaned


def _run_build_step(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            command, capture_output=True, text=True, timeout=900, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OpenSearchNodeError(f"{what}: timed out after {exc.timeout:.0f} s") from exc
    if result.returncode != 0:
        raise OpenSearchNodeError(f"{what}:\n{_tail(result.stdout + result.stderr)}")


def _wait_ready(
    process: subprocess.Popen[bytes], ready_file: Path, log_path: Path, deadline: float, timeout: float
) -> str:
    url: str | None = None
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            log = log_path.read_text(errors="replace")
            raise OpenSearchNodeError(
                f"OpenSearch exited with status {code} while starting: {_main_error(log)}\n"
                f"end of {log_path.name}:\n{_tail(log)}"
            )
        if url is None and ready_file.is_file():
            ready = json.loads(ready_file.read_text())
            url = f"http://{ready['http_host']}:{ready['http_port']}"
        if url is not None:
            with contextlib.suppress(OpenSearchNodeError):
                if cluster_health(url, timeout=2.0).get("status") in ("yellow", "green"):
                    return url
        time.sleep(0.1)
    raise OpenSearchNodeError(
        f"OpenSearch did not become healthy within {timeout:.0f} s; end of {log_path.name}:\n"
        f"{_tail(log_path.read_text(errors='replace'))}"
    )


def _claim_state_file(state_file: Path, handle: NodeHandle) -> Path | None:
    """Record ``handle`` unless the file already names another running node (never clobber it)."""
    if find_running_node(state_file) is not None:
        return None
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "url": handle.url,
        "pid": handle.pid,
        "home": str(handle.home),
        "version": OPENSEARCH_VERSION,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    tmp.replace(state_file)
    return state_file


def _read_state_file(state_file: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _is_node_process(pid: int) -> bool:
    """True if ``pid`` is alive and is our launcher (guards against a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: fall back to "some process has this pid"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if re.search(r"^State:\s+Z", status, re.MULTILINE):
        return False
    return LAUNCHER_CLASS.encode() in cmdline.split(b"\0")


def _rss_bytes(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _remove_home(home: Path) -> None:
    # The path may come from a state file on disk: never delete anything but a node home of ours.
    if home.name.startswith(_HOME_PREFIX):
        shutil.rmtree(home, ignore_errors=True)


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _main_error(log: str) -> str:
    """The launcher's uncaught exception, e.g. ``BindHttpException[Failed to bind to 127.0.0.1:9200]``."""
    for line in log.splitlines():
        if line.startswith('Exception in thread "main" '):
            return line.removeprefix('Exception in thread "main" ').strip()
    return "see the log below"


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
