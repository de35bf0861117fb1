"""``obsctl ship``: run the log shipper's code from the command line.

- ``transform``: a subscription event (or its decoded payload) on stdin -> the exact documents the
  shipper would index, one JSON per line on stdout.
- ``send``: ship such an event or payload into an OpenSearch endpoint, with the shipper's delivery
  (split, retries, mapping fixes); what cannot be indexed goes to ``--dead-letter-dir`` or fails.
- ``replay``: send dead letters again, from ``s3://bucket/prefix`` or a local directory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from obsctl.cli import CliError

__all__ = ["register"]

_AUTH_CHOICES = ("none", "aoss", "es")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "ship",
        help="Transform, send and replay CloudWatch Logs batches with the log shipper's code",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="ship_command", metavar="SUBCOMMAND", required=True)

    transform = commands.add_parser(
        "transform",
        help="Subscription event or decoded payload on stdin -> the documents, one JSON per line",
        description='Read a CloudWatch Logs subscription event ({"awslogs": {"data": ...}}) or its '
        "decoded payload on stdin and print the exact documents the shipper would index, one per line.",
    )
    _add_document_options(transform)
    transform.add_argument("--region", dest="doc_region", help="value of cloud.region in the documents")
    transform.add_argument("--with-index", action="store_true", help='print {"_index", "_id", "_source"}')
    transform.set_defaults(func=_transform)

    send = commands.add_parser(
        "send",
        help="Ship a subscription event or payload (FILE or stdin) into OpenSearch",
        description="Ship one subscription event or decoded payload into an OpenSearch endpoint with the "
        "shipper's delivery. Prints the invocation summary as JSON; exit 1 if anything was not indexed.",
    )
    send.add_argument("file", nargs="?", type=Path, help="JSON file (default: stdin)")
    _add_endpoint_options(send)
    _add_document_options(send)
    send.add_argument("--bulk-max-bytes", type=int, default=None, help="split bulk bodies at this size")
    send.add_argument("--dead-letter-dir", type=Path, help="write dead letters here (default: fail instead)")
    send.add_argument("--timeout", type=float, default=60.0, help="delivery budget in seconds (default 60)")
    send.set_defaults(func=_send)

    replay = commands.add_parser(
        "replay",
        help="Send dead letters again from s3://bucket/prefix or a local directory",
        description="Read dead-letter records (the shipper's own, and Lambda's on-failure destination "
        "records) from s3://bucket/prefix or a directory and ship their events again. Each record is "
        "rewritten in place with only the events still not indexed, so an event indexed by a replay is "
        "never sent again (a record left empty is removed by --delete). Records written with "
        "USE_DOCUMENT_ID=true are replayed with the same document ids (a repeat overwrites). Without ids, "
        "an event whose request timed out after OpenSearch indexed it can still appear twice (collapse on "
        "aws.cloudwatch.event_id). Objects that are not records are skipped with a message. Prints a "
        "JSON report; exit 1 if some events failed again.",
    )
    replay.add_argument("source", help="s3://bucket/prefix or a directory of dead-letter records")
    _add_endpoint_options(replay)
    replay.add_argument("--aws-endpoint-url", help="S3 endpoint (the local emulator); default: AWS")
    replay.add_argument(
        "--kms-key-id", help="KMS key for records rewritten in S3 (default: the bucket's default KMS key)"
    )
    replay.add_argument(
        "--delete", action="store_true", help="delete each record once all its events indexed"
    )
    replay.add_argument(
        "--use-document-id",
        action="store_true",
        default=None,
        help="send event ids as _id for every record (default: as each record was written)",
    )
    replay.set_defaults(func=_replay)


def _add_endpoint_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="OpenSearch URL, e.g. http://127.0.0.1:9200")
    parser.add_argument("--auth", choices=_AUTH_CHOICES, default="none", help="SigV4 service or none")
    parser.add_argument("--region", help="AWS region: SigV4 (--auth aoss|es) and cloud.region")


def _add_document_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ship-emf", action="store_true", help="ship EMF lines too (default: skip)")
    parser.add_argument("--use-document-id", action="store_true", help="send the event id as _id")


def _read_payload(raw: bytes) -> Any:
    import orjson

    from log_pipeline.subscription import MalformedEvent, decode_event, validate_payload

    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CliError(f"input is not JSON: {exc}") from None
    try:
        if isinstance(data, dict) and "awslogs" in data:
            return decode_event(data)
        return validate_payload(data)
    except MalformedEvent as exc:
        raise CliError(f"input is not a subscription event or payload: {exc}") from None


def _transform(args: argparse.Namespace) -> int:
    from log_pipeline.documents import build_batch
    from log_pipeline.subscription import CONTROL_MESSAGE, accept_events

    payload = _read_payload(sys.stdin.buffer.read())
    if payload["messageType"] == CONTROL_MESSAGE:
        return 0
    for _event, reason in accept_events(payload):
        print(f"event set aside (it would be dead-lettered): {reason}", file=sys.stderr)
    batch = build_batch(
        payload, region=args.doc_region, ship_emf=args.ship_emf, use_document_id=args.use_document_id
    )
    actions = batch.actions
    for event, reason in batch.unencodable:
        print(f"event {event['id']} set aside (it would be dead-lettered): {reason}", file=sys.stderr)
    try:
        _write_documents(actions, args.with_index)
    except BrokenPipeError:  # a closed reader (| head) is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _write_documents(actions: Any, with_index: bool) -> None:
    from log_pipeline.encoding import dumps

    out = sys.stdout.buffer
    for action in actions:
        if with_index:
            line: dict[str, Any] = {"_index": action.index, "_source": action.doc}
            if action.doc_id is not None:
                line["_id"] = action.doc_id
            out.write(dumps(line, newline=True))
        else:
            out.write(dumps(action.doc, newline=True))
    out.flush()


def _shipper(args: argparse.Namespace, **overrides: Any) -> Any:
    from log_pipeline.config import ConfigError, ShipperConfig
    from log_pipeline.pipeline import Shipper

    try:
        config = ShipperConfig(
            endpoint=args.endpoint.rstrip("/"), auth=args.auth, region=args.region, **overrides
        )
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    return Shipper(config, write=lambda _line: None)


def _send(args: argparse.Namespace) -> int:
    import time

    import orjson

    from log_pipeline.dead_letters import DirectoryDeadLetters
    from log_pipeline.pipeline import DeliveryIncomplete
    from log_pipeline.subscription import CONTROL_MESSAGE

    if args.file is not None:
        try:
            raw = args.file.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
    else:
        raw = sys.stdin.buffer.read()
    payload = _read_payload(raw)
    overrides: dict[str, Any] = {"ship_emf": args.ship_emf, "use_document_id": args.use_document_id}
    if args.bulk_max_bytes is not None:
        overrides["bulk_max_bytes"] = args.bulk_max_bytes
    shipper = _shipper(args, **overrides)
    if args.dead_letter_dir is not None:
        shipper.dead_letters = DirectoryDeadLetters(args.dead_letter_dir)
    if payload["messageType"] == CONTROL_MESSAGE:
        print("{}")
        return 0
    try:
        stats = shipper.ship_payload(payload, time.monotonic() + args.timeout, "obsctl-ship-send")
    except DeliveryIncomplete as exc:
        raise CliError(f"{exc} (use --dead-letter-dir to keep them)") from None
    print(orjson.dumps(stats.as_dict()).decode())
    return 1 if stats.docs_dead_lettered else 0


def _replay(args: argparse.Namespace) -> int:
    import orjson

    from log_pipeline.dead_letters import DirectoryDeadLetters, S3DeadLetters, read_records
    from log_pipeline.replay import replay

    s3 = None
    if args.source.startswith("s3://"):
        import boto3

        s3 = boto3.client("s3", endpoint_url=args.aws_endpoint_url, region_name=args.region)
    elif not Path(args.source).is_dir():
        raise CliError(f"{args.source} is neither an s3:// URI nor a directory")
    shipper = _shipper(args)
    skipped: list[str] = []
    try:
        records = list(read_records(args.source, s3, skipped))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for message in skipped:
        print(message, file=sys.stderr)
    # What fails again replaces its record in place (S3: same bucket and key, SSE-KMS).
    store: DirectoryDeadLetters | S3DeadLetters
    if s3 is None:
        store = DirectoryDeadLetters(Path(args.source))
    else:
        bucket, _, prefix = args.source[len("s3://") :].partition("/")
        store = S3DeadLetters(s3, bucket, args.kms_key_id, prefix)
    report = replay(records, shipper, requeue=store.replace, use_document_id=args.use_document_id)
    report.skipped = skipped
    if args.delete:
        for location in report.replayed:
            if location.startswith("s3://"):
                bucket, _, key = location[len("s3://") :].partition("/")
                assert s3 is not None
                s3.delete_object(Bucket=bucket, Key=key)
            else:
                Path(location).unlink()
    print(orjson.dumps(report.as_dict()).decode())
    return 1 if report.failed or report.errors else 0
