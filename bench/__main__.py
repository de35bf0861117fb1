"""``make bench``: every benchmark, with its baseline measured in the same run.

Each benchmark runs in a fresh interpreter, so one cannot disturb another through the parent's heap,
imports or memory high-water mark. Results are printed as JSON and written to
build/bench/results.json. Targets are checked here (not in timed unit tests): a missed target makes
the run exit 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCHMARKS: tuple[str, ...] = ("bench.function_cold_start", "bench.shipper")
RESULT_MARKER = "BENCH-RESULT "
_CHILD = "import json, {module} as bench; print({marker!r} + json.dumps(bench.run()), flush=True)"


def run_isolated(module_name: str) -> dict[str, Any]:
    """Run ``module_name.run()`` in a fresh interpreter and return its result dict."""
    code = _CHILD.format(module=module_name, marker=RESULT_MARKER)
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=1800
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if process.returncode != 0 or not lines:
        tail = (process.stdout + process.stderr).strip()[-2000:]
        raise RuntimeError(f"{module_name} failed (exit {process.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix(RESULT_MARKER))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    names = [name.removeprefix("bench.") for name in BENCHMARKS]
    parser.add_argument(
        "only", nargs="*", metavar="BENCHMARK", help="run only these (default: all): " + ", ".join(names)
    )
    selected = parser.parse_args(argv).only
    unknown = sorted(set(selected) - set(names))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(names)})")
    results: dict[str, Any] = {}
    failed: list[str] = []
    for module_name in BENCHMARKS:
        if selected and module_name.removeprefix("bench.") not in selected:
            continue
        print(f"== {module_name}", flush=True)
        started = time.perf_counter()
        result = run_isolated(module_name)
        result["bench_seconds"] = round(time.perf_counter() - started, 1)
        results[module_name] = result
        print(json.dumps(result, indent=2, sort_keys=True), flush=True)
        failed.extend(f"{module_name}: {miss}" for miss in result.get("targets_missed", []))
    out = Path("build/bench/results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"written to {out}")
    if failed:
        print("targets missed:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
