"""Data access: one ListObjectsV2 call per page, mapped to the API's item shape.

Only the documented fields leave this module (never raw SDK output), and S3 errors are sorted
into throttling (the caller should retry later) and everything else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.config import Config as BotocoreConfig
from botocore.exceptions import ClientError

from function.config import Config
from function.params import ListQuery

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "BOTOCORE_DATA_DIR",
    "BUNDLE_MANIFEST",
    "OPERATION",
    "THROTTLING_CODES",
    "Page",
    "bundle_matches",
    "create_s3_client",
    "is_throttling",
    "iso_utc",
    "list_page",
    "to_item",
]

OPERATION = "ListObjectsV2"
BOTOCORE_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore_data")
"""The S3-only botocore data bundle (rendered by ``tools.s3_model``)."""
BUNDLE_MANIFEST = "bundle.json"
THROTTLING_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceUnavailable", "503"}
)
"""Error codes S3 (and botocore's standard retry mode) treat as throttling."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    continuation: str | None
    """S3's NextContinuationToken when more keys follow."""
    response_metadata: dict[str, Any]


def create_s3_client(config: Config, *, data_dir: str | None = BOTOCORE_DATA_DIR) -> S3Client:
    """The one S3 client of the execution environment.

    botocore directly (not boto3): boto3 adds import time (s3transfer) and nothing used here. The
    client loads its model from the S3-only bundle in ``data_dir`` when the bundle was cut from
    this very botocore version (the package pins botocore for that); otherwise it uses botocore's
    own data, with a warning, so a mismatch costs start-up time, never correctness. The endpoint
    comes from botocore's standard resolution, so ``AWS_ENDPOINT_URL_S3`` points it at an emulator.
    """
    import botocore.session

    client_config = BotocoreConfig(
        connect_timeout=config.s3_connect_timeout,
        read_timeout=config.s3_read_timeout,
        retries={"mode": "standard", "max_attempts": config.s3_max_attempts},
    )
    session = botocore.session.get_session()
    if data_dir is not None and bundle_matches(data_dir):
        from botocore.loaders import Loader

        loader = Loader(extra_search_paths=[data_dir], include_default_search_paths=False)
        session.register_component("data_loader", loader)
    return cast("S3Client", session.create_client("s3", config.region, config=client_config))


def bundle_matches(data_dir: str) -> bool:
    """True when the bundle in ``data_dir`` was rendered from the running botocore version."""
    import json
    import logging

    import botocore

    try:
        with open(os.path.join(data_dir, BUNDLE_MANIFEST), encoding="utf-8") as manifest:
            rendered_from = json.load(manifest).get("botocore_version")
    except (OSError, ValueError):
        rendered_from = None
    if rendered_from == botocore.__version__:
        return True
    logging.getLogger(__name__).warning(
        "S3 data bundle is for botocore %s, running %s: using botocore's own data (slower start)",
        rendered_from,
        botocore.__version__,
    )
    return False


def list_page(client: S3Client, bucket: str, query: ListQuery) -> Page:
    """List one page; raises botocore errors unchanged (the handler classifies them)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": query.limit}
    if query.prefix:
        kwargs["Prefix"] = query.prefix
    if query.continuation:
        kwargs["ContinuationToken"] = query.continuation
    response = client.list_objects_v2(**kwargs)
    items = [to_item(obj) for obj in response.get("Contents", [])]
    truncated = bool(response.get("IsTruncated"))
    continuation = response.get("NextContinuationToken") if truncated else None
    return Page(items=items, continuation=continuation, response_metadata=dict(response["ResponseMetadata"]))


def to_item(obj: Any) -> dict[str, Any]:
    """Map one ``Contents`` entry to the API item (see ``ObjectItem`` in openapi.yaml)."""
    return {
        "key": obj["Key"],
        "size": int(obj["Size"]),
        "last_modified": iso_utc(obj["LastModified"]),
        "etag": str(obj.get("ETag", "")).strip('"'),
        "storage_class": str(obj.get("StorageClass", "STANDARD")),
    }


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def is_throttling(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in THROTTLING_CODES or status == 503
