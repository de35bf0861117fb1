"""``make check-infra``: the real Terraform engine over ``infra/``, offline.

``python -m tools.terraform_engine check`` initialises ``infra/bootstrap`` and ``infra/live`` (the
provider from the mirror, the committed lock files read-only), validates them, then plans both
against a moto server started for the check, with each root's committed ``example.tfvars``; and it
initialises and validates every module example (``infra/modules/*/examples/*``). The
engine itself (where Terraform comes from, the emulator overrides) is local_platform.terraform.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local_platform.terraform import (
    BUILD_DIR,
    ROOTS,
    EngineError,
    Timer,
    copy_infra,
    find_engine,
    init,
    plan,
    point_at_emulator,
    running_emulator,
    validate,
)

__all__ = [
    "check",
    "main",
    "module_examples",
]


def module_examples(infra: Path) -> list[Path]:
    """Every example of every module (``infra/modules/<module>/examples/<name>``)."""
    return sorted(p for p in infra.glob("modules/*/examples/*") if any(p.glob("*.tf")))


def check(build_dir: Path = BUILD_DIR, *, out: Any = sys.stdout) -> dict[str, Any]:
    """init + validate both roots offline, then plan both against a fresh emulator.

    Returns a report (planned resources per root and seconds per step); raises EngineError.
    """
    engine = find_engine(build_dir)
    timer = Timer()
    infra = copy_infra(build_dir / "check")
    report: dict[str, Any] = {"registry": engine.registry, "roots": {}, "seconds": timer.steps}

    def check_root(name: str, endpoint: str) -> None:
        root = infra / name
        # The overrides change only where the provider and the state go, not what is validated.
        point_at_emulator(root, endpoint)
        with timer.step(f"{name}: init"):
            init(engine, root)
        with timer.step(f"{name}: validate"):
            validate(engine, root)
        print(f"terraform validate {name}: ok", file=out)
        with timer.step(f"{name}: plan"):
            changes = plan(engine, root, [root / "example.tfvars"], root / "check.tfplan")
        creates = sum(1 for actions in changes.values() if actions == ["create"])
        report["roots"][name] = {"planned": len(changes), "create": creates}
        print(f"terraform plan {name} (emulator, example.tfvars): {creates} to create", file=out)

    def check_example(example: Path) -> None:
        label = str(example.relative_to(infra))
        with timer.step(f"{label}: init + validate"):
            init(engine, example)
            validate(engine, example)
        print(f"terraform validate {label}: ok", file=out)

    examples = module_examples(infra)
    if not examples:
        raise EngineError("no module examples under infra/modules/*/examples/")
    report["examples"] = len(examples)
    # The roots and the examples are independent: check them side by side (one emulator for the plans).
    with running_emulator() as emulator, ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(check_root, name, emulator.endpoint) for name in ROOTS]
        futures += [pool.submit(check_example, example) for example in examples]
        for done in futures:
            done.result()
    print("seconds: " + ", ".join(f"{step} {seconds}" for step, seconds in timer.steps.items()), file=out)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.terraform_engine",
        description="The real Terraform engine over infra/: init, validate, plan against a local emulator.",
    )
    parser.add_argument("action", choices=("check",), help="init + validate + plan of both roots")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.action == "check":
            check()
    except EngineError as exc:
        print(f"terraform: error: {exc}", file=sys.stderr)
        return 1
    print(f"terraform check: ok in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
