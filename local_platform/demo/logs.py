"""Demo step 2: deliver the function's and the API's logs to the shipper, into the local OpenSearch.

Like CloudWatch Logs would: the events of each log stream are read back from the emulator, grouped
into subscription payloads within PutLogEvents' limits (10,000 events, 1 MiB counting 26 bytes per
event), gzip+base64-encoded, and handed to the shipper's real handler code in-process. The shipper's
own output (EMF and summary line) is written into its log group in the emulator, as Lambda would.
Then every API request id the traffic step sent must be searchable.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local_platform.demo.context import DemoContext
from local_platform.demo.traffic import DemoCheckFailed
from local_platform.deployment import Platform, role_client
from signals import logs as fields

__all__ = [
    "example_request",
    "find_missing_request_ids",
    "read_log_events",
    "run",
    "subscribed_groups",
    "subscription_events",
]

_INVOCATION_BUDGET_S = 60.0
"""What the shipper's Lambda gets in Terraform (its timeout)."""
_SEARCH_CHUNK = 500
_EXAMPLE_CANDIDATES = 20


@dataclass
class _LocalLambdaContext:
    """The bits of the Lambda context the shipper reads."""

    aws_request_id: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def read_log_events(logs: Any, group: str) -> dict[str, list[dict[str, Any]]]:
    """Every event of a log group, by stream, in timestamp order, shaped as CloudWatch delivers them."""
    by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
    paginator = logs.get_paginator("filter_log_events")
    for page in paginator.paginate(logGroupName=group):
        for event in page.get("events", []):
            by_stream[event["logStreamName"]].append(
                {"id": event["eventId"], "timestamp": event["timestamp"], "message": event["message"]}
            )
    for events in by_stream.values():
        events.sort(key=lambda event: event["timestamp"])
    return dict(by_stream)


def subscription_events(
    names: Any, group: str, by_stream: dict[str, list[dict[str, Any]]], filter_name: str
) -> list[dict[str, Any]]:
    """The Lambda events CloudWatch would deliver for these streams."""
    from log_pipeline.subscription import DATA_MESSAGE, batch_events, encode_payload

    lambda_events = []
    for stream, events in sorted(by_stream.items()):
        for batch in batch_events(events):  # type: ignore[arg-type]
            payload = {
                "messageType": DATA_MESSAGE,
                "owner": names.account_id,
                "logGroup": group,
                "logStream": stream,
                "subscriptionFilters": [filter_name],
                "logEvents": batch,
            }
            lambda_events.append(encode_payload(payload))
    return lambda_events


def run(ctx: DemoContext) -> None:
    from log_pipeline.config import ShipperConfig
    from log_pipeline.dead_letters import S3DeadLetters
    from log_pipeline.pipeline import Shipper
    from log_pipeline.templates import apply_index_templates
    from signals import config as env_names

    if not ctx.opensearch_url:
        raise DemoCheckFailed("the logs step needs OpenSearch: ctx.opensearch_url is not set")
    names = ctx.names
    url = ctx.opensearch_url.rstrip("/")
    apply_index_templates(url, "none", None)

    platform = ctx.platform
    if platform is None:
        raise DemoCheckFailed("the logs step needs the platform Terraform created (ctx.platform)")
    shipper_output: list[str] = []
    # The shipper as Terraform configured it (dead-letter bucket and key, options), pointed at the
    # local node: plain HTTP without SigV4, and document ids (a re-delivered batch is idempotent;
    # AOSS time-series collections refuse ids, a plain node takes them).
    config = ShipperConfig.from_env(
        {
            **platform.shipper.environment,
            env_names.ENV_AWS_REGION: platform.region,
            env_names.ENV_OPENSEARCH_ENDPOINT: url,
            env_names.ENV_OPENSEARCH_AUTH: "none",
            env_names.ENV_USE_DOCUMENT_ID: "true",
        }
    )
    if not config.dead_letter_bucket:
        raise DemoCheckFailed("the shipper Terraform created has no dead-letter bucket")
    # with the shipper's role, as Lambda runs it: the dead-letter bucket admits only that role and operators
    s3 = role_client(
        ctx.aws_endpoint, platform.region, platform.shipper.role_arn, "s3", platform.shipper.name
    )
    dead_letters = S3DeadLetters(
        s3, config.dead_letter_bucket, config.dead_letter_kms_key, config.dead_letter_prefix
    )
    shipper = Shipper(config, dead_letters=dead_letters, write=shipper_output.append)

    logs = ctx.client("logs")
    indexed = dead_lettered = received = emf_skipped = invocations = 0
    for group, subscription in subscribed_groups(platform):
        by_stream = read_log_events(logs, group)
        for number, event in enumerate(subscription_events(names, group, by_stream, subscription)):
            context = _LocalLambdaContext(
                f"demo-{invocations:05d}-{number}", time.monotonic() + _INVOCATION_BUDGET_S
            )
            summary = shipper.handle(event, context)
            invocations += 1
            received += summary["events_received"]
            indexed += summary["docs_indexed"]
            dead_lettered += summary["docs_dead_lettered"]
            emf_skipped += summary["emf_skipped"]
    _write_shipper_logs(ctx, logs, shipper_output, platform.metric_filters)
    ctx.say(
        f"shipped {received} log events in {invocations} subscription batches: "
        f"{indexed} documents indexed, {emf_skipped} EMF lines skipped (CloudWatch makes metrics of them), "
        f"{dead_lettered} dead-lettered"
    )
    ctx.summary["docs_indexed"] = indexed
    ctx.summary["docs_dead_lettered"] = dead_lettered
    ctx.summary["emf_lines_skipped"] = emf_skipped

    missing = find_missing_request_ids(url, ctx.request_ids)
    if missing:
        raise DemoCheckFailed(f"{len(missing)} request id(s) not found in OpenSearch, e.g. {missing[:3]}")
    ctx.say(f"all {len(set(ctx.request_ids))} API request ids are searchable in OpenSearch")
    if ctx.request_ids:
        request_id, story = example_request(url, ctx.request_ids)
        ctx.summary["example_request_id"] = request_id
        ctx.say(
            f"`obsctl logs request {request_id}` finds its {len(story.events)} lines "
            f"({', '.join(f'{n} {k}' for k, n in story.summary()['events_by_kind'].items())})"
        )


def subscribed_groups(platform: Platform) -> list[tuple[str, str]]:
    """(log group, subscription filter name) of every filter Terraform pointed at the shipper.

    CloudWatch Logs would deliver these; locally the step reads them (moto cannot run the shipper).
    Every event is delivered: a filter pattern would need CloudWatch's matcher here too, so one is
    refused rather than ignored.
    """
    found = []
    for group, filters in sorted(platform.subscription_filters.items()):
        for subscription in filters:
            if subscription["destinationArn"].split(":")[-1] != platform.shipper.name:
                continue
            if subscription.get("filterPattern", ""):
                raise DemoCheckFailed(
                    f"{group}: the subscription filter {subscription['filterName']} has a pattern "
                    f"({subscription['filterPattern']!r}); the local delivery sends every event"
                )
            found.append((group, subscription["filterName"]))
    if not found:
        raise DemoCheckFailed(f"no subscription filter sends logs to {platform.shipper.name}")
    return found


def example_request(url: str, request_ids: list[str]) -> tuple[str, Any]:
    """The newest request whose whole story is in OpenSearch (access line, function lines, REPORT),
    found with ``obsctl logs request``'s own code; else the newest request."""
    from obsctl.log_search import Searcher, request_story
    from obsctl.opensearch_client import Target, build_client

    target = Target(url, "none")
    searcher = Searcher(build_client(target), target)
    story = None
    for request_id in list(dict.fromkeys(reversed(request_ids)))[:_EXAMPLE_CANDIDATES]:
        story = request_story(searcher, request_id)
        kinds = {hit.source.get(fields.EVENT_KIND) for hit in story.events}
        if {fields.KIND_ACCESS, fields.KIND_APPLICATION, fields.KIND_PLATFORM} <= kinds and story.reports():
            return request_id, story
    return request_ids[-1], story or request_story(searcher, request_ids[-1])


def find_missing_request_ids(url: str, request_ids: list[str]) -> list[str]:
    """The ids with no document in any logs-* index (after a refresh, so new documents count)."""
    import requests

    wanted = sorted(set(request_ids))
    if not wanted:
        return []
    requests.post(f"{url}/{fields.ALL_INDICES_PATTERN}/_refresh", timeout=30).raise_for_status()
    found: set[str] = set()
    for start in range(0, len(wanted), _SEARCH_CHUNK):
        chunk = wanted[start : start + _SEARCH_CHUNK]
        for field_name in (fields.HTTP_REQUEST_ID, fields.CORRELATION_ID):
            body = {
                "size": 0,
                "query": {"terms": {field_name: chunk}},
                "aggs": {"ids": {"terms": {"field": field_name, "size": len(chunk)}}},
            }
            response = requests.post(f"{url}/{fields.ALL_INDICES_PATTERN}/_search", json=body, timeout=30)
            response.raise_for_status()
            found.update(bucket["key"] for bucket in response.json()["aggregations"]["ids"]["buckets"])
    return [request_id for request_id in wanted if request_id not in found]


def _write_shipper_logs(
    ctx: DemoContext, logs: Any, lines: list[str], metric_filters: list[dict[str, Any]]
) -> None:
    """Put the shipper's stdout into its log group, as Lambda would, and apply the metric filters
    Terraform created on it."""
    if not lines:
        return
    stream = time.strftime("%Y/%m/%d/[$LATEST]") + "demo"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=ctx.names.shipper_log_group, logStreamName=stream)
    now_ms = int((ctx.clock.now().timestamp() if ctx.clock else time.time()) * 1000)
    events = [{"timestamp": now_ms, "message": line} for line in lines]
    from log_pipeline.subscription import batch_events

    for batch in batch_events(events):  # type: ignore[arg-type]
        logs.put_log_events(logGroupName=ctx.names.shipper_log_group, logStreamName=stream, logEvents=batch)
    from local_platform.metric_filters import apply_metric_filters

    timestamp = ctx.clock.now() if ctx.clock else datetime.now(UTC)
    cloudwatch = ctx.client("cloudwatch")
    apply_metric_filters(cloudwatch, metric_filters, ctx.names.shipper_log_group, lines, timestamp)
