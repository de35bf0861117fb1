"""The dead-letter store: what could not be indexed, kept with its reason, replayable.

One object per failed batch (S3, SSE-KMS), holding the original log events, each with the reason
its document was not indexed, and the stream it came from; a malformed Lambda event is kept whole.
If the write fails, ``DeadLetterWriteError`` propagates: the handler raises, and Lambda's retries
and on-failure destination keep the batch. ``obsctl ship replay`` reads these objects back.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from log_pipeline.encoding import dumps

FORMAT_VERSION = 1
DEFAULT_WRITE_TIMEOUT_S = 10.0
"""A write's budget when the caller gives none (the CLI)."""
KIND_BATCH = "batch"
KIND_MALFORMED = "malformed"


class DeadLetterWriteError(RuntimeError):
    """The dead-letter store refused the write; the batch must not be acknowledged."""


class DeadLetterStore(Protocol):
    def write(self, record: dict[str, Any], timeout_s: float | None = None) -> str:
        """Persist one record within ``timeout_s`` (None: the store's default); return where it
        went. Raise DeadLetterWriteError on failure."""
        ...


def batch_record(
    source: dict[str, Any], failures: list[tuple[Any, str]], request_id: str, *, document_ids: bool = False
) -> dict[str, Any]:
    """A record for the events of one batch that were not indexed, each with its reason.

    ``document_ids``: the shipper sent event ids as ``_id`` (replay does the same, so a repeat
    overwrites instead of duplicating)."""
    return {
        "version": FORMAT_VERSION,
        "kind": KIND_BATCH,
        "written_at_ms": int(time.time() * 1000),
        "request_id": request_id,
        "source": source,
        "document_ids": document_ids,
        "reason": failures[0][1] if failures else "",
        "events": [_entry(event, reason) for event, reason in failures],
    }


def _entry(event: Any, reason: str) -> dict[str, Any]:
    """An event as kept: its fields and the reason (an event that is not an object: under ``event``)."""
    if isinstance(event, dict):
        return {**event, "reason": reason}
    return {"event": event, "reason": reason}


def malformed_record(event: Any, reason: str, request_id: str) -> dict[str, Any]:
    """A record for a Lambda event that could not be decoded at all."""
    return {
        "version": FORMAT_VERSION,
        "kind": KIND_MALFORMED,
        "written_at_ms": int(time.time() * 1000),
        "request_id": request_id,
        "reason": reason,
        "event": event,
    }


def _object_name(record: dict[str, Any]) -> str:
    stamp = time.strftime("%Y/%m/%d/%H", time.gmtime(record["written_at_ms"] / 1000))
    return f"{stamp}/{record['kind']}-{uuid.uuid4().hex}.json"


def encode_record(record: dict[str, Any]) -> bytes:
    return dumps(record, sort_keys=True, newline=True)


class S3DeadLetters:
    """Writes records to S3 with SSE-KMS (the given key, or the bucket's default KMS key).

    A write gets the time it is given as its whole budget: the client it uses has connect and read
    timeouts of half that time each and no retries (botocore's defaults, 60 s per read and several
    attempts, would run far past the Lambda's end against an endpoint that never answers).
    """

    def __init__(
        self,
        client: Any | None,
        bucket: str,
        kms_key_id: str | None,
        prefix: str,
        *,
        endpoint_url: str | None = None,
    ) -> None:
        self._client = client  # None: made per write budget, so cold starts skip importing boto3
        self._clients: dict[float, Any] = {}
        self._endpoint_url = endpoint_url
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        self._prefix = prefix

    def write(self, record: dict[str, Any], timeout_s: float | None = None) -> str:
        return self._put(self._bucket, self._prefix + _object_name(record), record, timeout_s)

    def replace(self, location: str, record: dict[str, Any]) -> str:
        """Overwrite the record at ``s3://bucket/key`` (replay: what failed again replaces it)."""
        bucket, _, key = location.removeprefix("s3://").partition("/")
        if not location.startswith("s3://") or not bucket or not key:
            raise ValueError(f"{location!r} is not an s3://bucket/key location")
        return self._put(bucket, key, record, None)

    def _client_for(self, timeout_s: float | None) -> Any:
        if self._client is not None:
            return self._client
        budget = round(max(0.2, timeout_s if timeout_s is not None else DEFAULT_WRITE_TIMEOUT_S), 1)
        client = self._clients.get(budget)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=budget / 2, read_timeout=budget / 2, retries={"total_max_attempts": 1}
            )
            if len(self._clients) >= 8:
                self._clients.clear()
            client = self._clients[budget] = boto3.client(
                "s3", endpoint_url=self._endpoint_url, config=config
            )
        return client

    def _put(self, bucket: str, key: str, record: dict[str, Any], timeout_s: float | None) -> str:
        extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
        if self._kms_key_id:
            extra["SSEKMSKeyId"] = self._kms_key_id
        failed: list[BaseException] = []

        def put() -> None:
            try:
                self._client_for(timeout_s).put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=encode_record(record),
                    ContentType="application/json",
                    **extra,
                )
            except Exception as exc:  # any failure here must fail the invocation
                failed.append(exc)

        if timeout_s is None:
            put()
        else:
            # The client's timeouts bound each connect and read; this bounds the whole write
            # (client creation included), so the invocation ends in time to fail visibly.
            writer = threading.Thread(target=put, name="dead-letter-write", daemon=True)
            writer.start()
            writer.join(timeout_s)
            if writer.is_alive():
                failed.append(TimeoutError(f"no answer within {timeout_s:.2f}s"))
        if failed:
            exc = failed[0]
            raise DeadLetterWriteError(f"dead-letter write to s3://{bucket}/{key} failed: {exc}") from exc
        return f"s3://{bucket}/{key}"


class DirectoryDeadLetters:
    """Writes records as files under a local directory (the CLI's ``send``; tests)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def write(self, record: dict[str, Any], timeout_s: float | None = None) -> str:
        path = self._root / _object_name(record)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(encode_record(record))
        except OSError as exc:
            raise DeadLetterWriteError(f"dead-letter write to {path} failed: {exc}") from exc
        return str(path)

    def replace(self, location: str, record: dict[str, Any]) -> str:
        """Overwrite the record file at ``location``, atomically (a temporary file renamed over it:
        the record is never half-written nor absent)."""
        path = Path(location)
        temporary = path.with_name(path.name + ".tmp")  # not *.json: never read as a record
        try:
            temporary.write_bytes(encode_record(record))
            os.replace(temporary, path)
        except OSError as exc:
            raise DeadLetterWriteError(f"dead-letter write to {path} failed: {exc}") from exc
        return str(path)


def is_on_failure_record(record: Any) -> bool:
    """Lambda's on-failure destination record (asynchronous invocation): the original event is in
    ``requestPayload``, with ``requestContext``, ``responseContext`` and ``responsePayload``."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("requestContext"), dict)
        and "requestPayload" in record
    )


def read_records(
    source: str, s3_client: Any | None = None, skipped: list[str] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dead-letter record under ``s3://bucket/prefix`` or a local directory, oldest name first:
    the shipper's own records and Lambda's on-failure destination records. An object that is
    neither is reported in ``skipped`` (one message each) and passed over; without ``skipped``
    it raises ``ValueError``."""
    if source.startswith("s3://"):
        bucket, _, prefix = source[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {source!r}")
        if s3_client is None:
            raise ValueError("reading from S3 needs an S3 client")
        paginator = s3_client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                location = f"s3://{bucket}/{item['Key']}"
                body = s3_client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                record = _decode(body, location, skipped)
                if record is not None:
                    yield location, record
        return
    root = Path(source)
    if not root.is_dir():
        raise ValueError(f"{source!r} is neither an s3:// URI nor a directory")
    for path in sorted(root.rglob("*.json")):
        record = _decode(path.read_bytes(), str(path), skipped)
        if record is not None:
            yield str(path), record


def _decode(body: bytes, where: str, skipped: list[str] | None) -> dict[str, Any] | None:
    try:
        record = orjson.loads(body)
        problem = ""
    except orjson.JSONDecodeError as exc:
        record, problem = None, f"{where} is not a dead-letter record: {exc}"
    ours = isinstance(record, dict) and record.get("kind") in (KIND_BATCH, KIND_MALFORMED)
    if record is not None and not ours and not is_on_failure_record(record):
        record, problem = None, f"{where} is not a dead-letter record"
    if record is None:
        if skipped is None:
            raise ValueError(problem)
        skipped.append(problem + "; skipped")
        return None
    assert isinstance(record, dict)
    return record
