"""``make bench``: every benchmark, with its baseline measured in the same run.

Results are printed as JSON and written to build/bench/results.json. Targets are checked here
(not in timed unit tests): a missed target makes the run exit 1.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

BENCHMARKS: tuple[str, ...] = ("bench.function_cold_start", "bench.shipper")


def main() -> int:
    results: dict[str, Any] = {}
    failed: list[str] = []
    for module_name in BENCHMARKS:
        print(f"== {module_name}", flush=True)
        started = time.perf_counter()
        result = importlib.import_module(module_name).run()
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
