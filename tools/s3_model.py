"""Renders the S3-only botocore data bundle that ``listing.create_s3_client`` loads.

Why: creating a botocore S3 client parses the full S3 model, the endpoints file of every AWS
service and lists every service directory; that was most of the function's cold start (see
README.md). The bundle holds exactly what an S3 client needs, cut down to the one operation this
function calls, taken from the pinned botocore. It is a generated, committed file set
(``make render``; ``make check-generated`` fails on drift) and is never imported at run time.
"""

from __future__ import annotations

import json
import os
from typing import Any

from function.listing import BOTOCORE_DATA_DIR, BUNDLE_MANIFEST, OPERATION

__all__ = [
    "REPO_DIR",
    "SERVICE",
    "SHARED_FILES",
    "render_files",
    "trimmed_endpoints",
    "trimmed_service_model",
]

REPO_DIR = f"function/{os.path.basename(BOTOCORE_DATA_DIR)}"
SERVICE = "s3"
SHARED_FILES = ("partitions", "sdk-default-configuration", "_retry")


def _render(data: Any, *, sort_keys: bool = True) -> str:
    return json.dumps(data, sort_keys=sort_keys, indent=2) + "\n"


def _reachable_shapes(model: dict[str, Any], operations: list[str]) -> set[str]:
    keep: set[str] = set()
    pending: list[str] = []
    for name in operations:
        operation = model["operations"][name]
        pending += [operation[key]["shape"] for key in ("input", "output") if key in operation]
        pending += [error["shape"] for error in operation.get("errors", [])]
    while pending:
        shape_name = pending.pop()
        if shape_name in keep:
            continue
        keep.add(shape_name)
        shape = model["shapes"][shape_name]
        pending += [member["shape"] for member in shape.get("members", {}).values()]
        pending += [shape[key]["shape"] for key in ("member", "key", "value") if key in shape]
    return keep


def trimmed_service_model(model: dict[str, Any], operations: list[str]) -> dict[str, Any]:
    """The model with only ``operations`` and the shapes they reach; metadata unchanged."""
    keep = _reachable_shapes(model, operations)
    trimmed = dict(model)
    trimmed["operations"] = {name: model["operations"][name] for name in operations}
    trimmed["shapes"] = {name: shape for name, shape in model["shapes"].items() if name in keep}
    return trimmed


def trimmed_endpoints(endpoints: dict[str, Any]) -> dict[str, Any]:
    trimmed: dict[str, Any] = json.loads(json.dumps(endpoints))
    for partition in trimmed["partitions"]:
        services = partition["services"]
        partition["services"] = {SERVICE: services[SERVICE]} if SERVICE in services else {}
    return trimmed


def render_files() -> dict[str, str]:
    import botocore
    from botocore.loaders import Loader

    loader = Loader()
    version = loader.determine_latest_version(SERVICE, "service-2")
    service_dir = f"{SERVICE}/{version}"
    files = {
        "endpoints.json": _render(trimmed_endpoints(loader.load_data("endpoints"))),
        # Member order is meaningful in a botocore model (it is the XML serialisation order), so
        # the model keeps botocore's own order, which is as deterministic as sorting.
        f"{service_dir}/service-2.json": _render(
            trimmed_service_model(loader.load_data(f"{service_dir}/service-2"), [OPERATION]),
            sort_keys=False,
        ),
    }
    for name in ("endpoint-rule-set-1", "service-2.sdk-extras"):
        files[f"{service_dir}/{name}.json"] = _render(loader.load_data(f"{service_dir}/{name}"))
    files.update({f"{name}.json": _render(loader.load_data(name)) for name in SHARED_FILES})
    files[BUNDLE_MANIFEST] = _render(
        {"botocore_version": botocore.__version__, "service": SERVICE, "operations": [OPERATION]}
    )
    return {f"{REPO_DIR}/{path}": content for path, content in sorted(files.items())}


if __name__ == "__main__":  # pragma: no cover - `make render` is the usual way
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for relative, content in render_files().items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        print(f"wrote {relative}")
