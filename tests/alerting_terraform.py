"""The alerting module (infra/modules/alerting) applied by the real Terraform engine into a moto server.

For the tests that read the alarms back with ``DescribeAlarms``: what they evaluate is what Terraform
created from the rendered catalog, not the Python objects. Terraform 1.11 and the AWS provider from
the mirror run offline as ``local_platform.terraform`` runs them (a copy of ``infra/`` under the
test's build directory, the emulator override written there, the committed lock file honoured).
moto's backends are per process: the alarms land in every in-process moto server, the one at
``endpoint`` included. ``PutCompositeAlarm`` comes from ``local_platform.emulator_extensions``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from local_platform import emulator_extensions
from local_platform import terraform as tf

__all__ = ["EXAMPLE", "Applied", "apply_example", "apply_instances"]

EXAMPLE = Path("modules/alerting/examples/complete")
"""The module's example (relative to ``infra/``), applied as a user would plan it."""


@dataclass(frozen=True)
class Applied:
    inputs: dict[str, dict[str, str]]
    """Module instance label -> the inputs Terraform passed it (the module's ``inputs`` output)."""
    seconds: dict[str, float]
    """init, plan and apply, wall clock."""
    resources: int
    """Managed resources in the state after apply."""
    first_apply_error: str = ""
    """Set when the first apply failed and a second plan and apply completed it (see ``_apply``)."""


def apply_example(endpoint: str, build: Path) -> Applied:
    """Apply the module's example root; its ``module.alerting`` inputs are read back from Terraform."""
    root = tf.copy_infra(build) / EXAMPLE
    (root / "test_outputs.tf").write_text(_outputs(["alerting"]), encoding="utf-8")
    return _apply(root, endpoint, build)


def apply_instances(
    endpoint: str,
    build: Path,
    instances: Mapping[str, Mapping[str, str]],
    *,
    region: str = tf.EMULATOR_REGION,
) -> Applied:
    """Apply a small root with one instance of the module per entry (label -> every module input)."""
    infra = tf.copy_infra(build)
    root = build / "alerting-root"
    root.mkdir(exist_ok=True)
    example = infra / EXAMPLE
    # The example's lock file pins the same provider the module needs (init never changes it).
    (root / ".terraform.lock.hcl").write_bytes((example / ".terraform.lock.hcl").read_bytes())
    config = {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.100, < 6.0"}}
        },
        "provider": {"aws": {"region": region}},
        "module": {
            label: {"source": str(infra / "modules" / "alerting"), **inputs}
            for label, inputs in instances.items()
        },
    }
    (root / "main.tf.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (root / "test_outputs.tf").write_text(_outputs(list(instances)), encoding="utf-8")
    return _apply(root, endpoint, build)


def _outputs(labels: list[str]) -> str:
    return "".join(f'output "{label}" {{\n  value = module.{label}.inputs\n}}\n' for label in labels)


def _apply(root: Path, endpoint: str, build: Path) -> Applied:
    emulator_extensions.install()
    engine = tf.find_engine(build)
    tf.point_at_emulator(root, endpoint)
    seconds: dict[str, float] = {}
    started = time.monotonic()
    tf.init(engine, root)
    seconds["init"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    planned = tf.plan(engine, root, [], root / "apply.tfplan")
    seconds["plan"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    applied = tf.apply(engine, root, root / "apply.tfplan")
    first_error = ""
    if applied.returncode != 0:
        # Under 30 parallel calls moto's threaded server now and then drops a connection, and the
        # provider retries once (max_retries in the override): as a user would, plan and apply
        # again, which creates what is missing. The first error is kept; a second one fails.
        first_error = applied.stderr.strip()
        tf.plan(engine, root, [], root / "again.tfplan")
        applied = tf.apply(engine, root, root / "again.tfplan")
    seconds["apply"] = round(time.monotonic() - started, 1)
    if applied.returncode != 0:
        raise tf.EngineError(f"terraform apply of {root} failed:\n{applied.stderr.strip()[-4000:]}")
    in_state = tf.managed_in_state(engine, root)
    if in_state != set(planned):
        raise tf.EngineError(f"not created: {sorted(set(planned) - in_state)}")
    outputs = json.loads(engine.run(root, "output", "-json").stdout)
    inputs = {label: dict(output["value"]) for label, output in outputs.items()}
    return Applied(inputs=inputs, seconds=seconds, resources=len(in_state), first_apply_error=first_error)
