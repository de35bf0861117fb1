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

OPERATION = "ListObjectsV2"
BOTOCORE_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore_data")
"""The S3-only botocore data bundle (rendered by ``function.s3_model``)."""
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
    client loads its model from the S3-only bundle in ``data_dir`` (a fraction of the parsing);
    should the runtime's botocore not accept the bundle, it falls back to botocore's own data
    with a warning rather than failing. The endpoint comes from botocore's standard resolution,
    so ``AWS_ENDPOINT_URL_S3`` points it at an emulator without a setting of ours.
    """
    import botocore.session
    from botocore.exceptions import DataNotFoundError, UnknownServiceError
    from botocore.loaders import Loader

    client_config = BotocoreConfig(
        connect_timeout=config.s3_connect_timeout,
        read_timeout=config.s3_read_timeout,
        retries={"mode": "standard", "max_attempts": config.s3_max_attempts},
    )
    if data_dir is not None and os.path.isdir(data_dir):
        session = botocore.session.get_session()
        session.register_component(
            "data_loader", Loader(extra_search_paths=[data_dir], include_default_search_paths=False)
        )
        try:
            return cast("S3Client", session.create_client("s3", config.region, config=client_config))
        except (DataNotFoundError, UnknownServiceError, KeyError) as exc:
            import logging

            logging.getLogger(__name__).warning("S3 data bundle not usable (%s); using botocore's data", exc)
    session = botocore.session.get_session()
    return cast("S3Client", session.create_client("s3", config.region, config=client_config))


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
