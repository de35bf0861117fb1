"""The queries behind ``obsctl logs``: filters, paging, one request's story, tailing, counts.

Every field name comes from ``signals.logs``. Paging is ``search_after`` on
(``@timestamp``, ``aws.cloudwatch.event_id``): the event id is unique per CloudWatch event, so the
order is total, and a duplicate delivery (same timestamp, same event id, possible on a time-series
collection that cannot take document ids) is returned once. A point in time freezes the view for
the later pages where the target has one (a local node, a managed domain); OpenSearch Serverless has
neither point in time nor scroll, so there the pages are plain ``search_after``.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from obsctl.opensearch_client import OpenSearchClientError, Target, call, describe_error
from signals import logs as fields

__all__ = [
    "DEFAULT_INDEX",
    "DEFAULT_PAGE",
    "GROUP_BY",
    "MAX_INTERVAL_S",
    "MAX_LIMIT",
    "MAX_PAGE",
    "MIN_INTERVAL_S",
    "PIT_KEEP_ALIVE",
    "REQUEST_ID_FIELDS",
    "REQUEST_MAX_EVENTS",
    "TEXT_FIELDS",
    "Filters",
    "Hit",
    "QueryError",
    "RequestStory",
    "Searcher",
    "ensure",
    "histogram_interval",
    "iso",
    "parse_duration",
    "parse_time",
    "request_story",
    "sort_order",
    "tail",
]

DEFAULT_INDEX: Final = fields.ALL_INDICES_PATTERN
MAX_PAGE: Final = 10_000
"""OpenSearch's default ``index.max_result_window``: no page may ask for more."""
DEFAULT_PAGE: Final = 500
MAX_LIMIT: Final = 100_000
PIT_KEEP_ALIVE: Final = "2m"
REQUEST_ID_FIELDS: Final = (fields.HTTP_REQUEST_ID, fields.CORRELATION_ID, fields.LAMBDA_REQUEST_ID)
"""Where a request id can be: the API's (access log, and the function's ``correlation.id``) and
Lambda's (the function's lines and START/END/REPORT)."""
TEXT_FIELDS: Final = (
    fields.MESSAGE,
    fields.ERROR_MESSAGE,
    fields.ERROR_STACK_TRACE,
    fields.HTTP_INTEGRATION_ERROR,
)
"""What a bare word of QUERY searches (``field:value`` reaches any field)."""
GROUP_BY: Final = {
    "level": fields.LOG_LEVEL,
    "service": fields.SERVICE_NAME,
    "status": fields.HTTP_STATUS,
    "kind": fields.EVENT_KIND,
    "route": fields.HTTP_ROUTE,
}
_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[smhdw])$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class QueryError(ValueError):
    """A bad option value; the text says which and why."""


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``7d``, ``1w``."""
    match = _DURATION.match(text.strip())
    if not match or int(match["n"]) == 0:
        raise QueryError(f"not a duration: {text!r} (use e.g. 30s, 15m, 2h, 7d)")
    return timedelta(seconds=int(match["n"]) * _UNIT_SECONDS[match["unit"]])


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 time (``2026-12-02T10:00:00Z``, a date, or a naive time taken as UTC), or a
    duration meaning that long ago (``15m``)."""
    value = text.strip()
    if _DURATION.match(value):
        return (now or datetime.now(UTC)) - parse_duration(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"not a time: {text!r} (use ISO 8601, e.g. 2026-12-02T10:00:00Z, or 15m)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Filters:
    """What ``search``, ``tail`` and ``stats`` narrow the events by."""

    query: str | None = None
    """Lucene query string syntax (``field:value``, ``AND``/``OR``, quotes, wildcards)."""
    start: datetime | None = None
    end: datetime | None = None
    services: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    request_id: str | None = None
    trace_id: str | None = None
    kinds: tuple[str, ...] = ()
    extra: tuple[dict[str, Any], ...] = ()
    """Ready-made query clauses, ANDed with the rest."""

    def clauses(self) -> list[dict[str, Any]]:
        clauses: list[dict[str, Any]] = list(self.extra)
        if self.query:
            clauses.append(
                {
                    "query_string": {
                        "query": self.query,
                        "fields": list(TEXT_FIELDS),
                        "default_operator": "AND",
                    }
                }
            )
        if self.start is not None or self.end is not None:
            bounds: dict[str, Any] = {"format": "strict_date_optional_time"}
            if self.start is not None:
                bounds["gte"] = iso(self.start)
            if self.end is not None:
                bounds["lte"] = iso(self.end)
            clauses.append({"range": {fields.TIMESTAMP: bounds}})
        if self.services:
            services = list(self.services)
            clauses.append(_any_of({fields.SERVICE_NAME: services, fields.LAMBDA_FUNCTION_NAME: services}))
        if self.levels:
            clauses.append({"terms": {fields.LOG_LEVEL: [level.upper() for level in self.levels]}})
        if self.request_id:
            clauses.append(_any_of({name: [self.request_id] for name in REQUEST_ID_FIELDS}))
        if self.trace_id:
            clauses.append({"term": {fields.TRACE_ID: self.trace_id}})
        if self.kinds:
            clauses.append({"terms": {fields.EVENT_KIND: list(self.kinds)}})
        return clauses

    def query_body(self) -> dict[str, Any]:
        clauses = self.clauses()
        return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def _any_of(terms: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "bool": {
            "should": [{"terms": {name: values}} for name, values in terms.items()],
            "minimum_should_match": 1,
        }
    }


def sort_order(ascending: bool) -> list[dict[str, Any]]:
    order = "asc" if ascending else "desc"
    return [{fields.TIMESTAMP: {"order": order}}, {fields.CW_EVENT_ID: {"order": order, "missing": "_last"}}]


@dataclass(frozen=True)
class Hit:
    index: str
    source: dict[str, Any]
    sort: list[Any]

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.source.get(fields.CW_EVENT_ID, "")), str(self.source.get(fields.TIMESTAMP, "")))


def _hits(response: dict[str, Any]) -> list[Hit]:
    return [
        Hit(hit.get("_index", ""), hit.get("_source") or {}, list(hit.get("sort") or []))
        for hit in response.get("hits", {}).get("hits", [])
    ]


_SEARCH_PARAMS: Final = {"allow_no_indices": "false", "ignore_unavailable": "false"}
"""A pattern that matches no index is an error ("nothing shipped there yet"), not an empty answer."""


@dataclass
class Searcher:
    """Runs the searches of one command against one target."""

    client: Any
    target: Target
    index: str = DEFAULT_INDEX
    page_size: int = DEFAULT_PAGE

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE:
            raise QueryError(f"page size must be 1..{MAX_PAGE}")

    def _search(self, body: dict[str, Any], *, with_index: bool = True) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"body": body}
        if with_index:
            kwargs["index"] = self.index
            kwargs["params"] = dict(_SEARCH_PARAMS)
        result: dict[str, Any] = call(
            self.target, lambda: self.client.search(**kwargs), index=self.index, what="search"
        )
        return result

    def events(self, filters: Filters, *, limit: int, ascending: bool = False) -> Iterator[Hit]:
        """Up to ``limit`` matching events in time order, page by page."""
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"--limit must be 1..{MAX_LIMIT}")
        base: dict[str, Any] = {"query": filters.query_body(), "sort": sort_order(ascending)}
        size = min(self.page_size, limit)
        page = _hits(self._search({**base, "size": size}))
        yield from page
        returned = len(page)
        if returned >= limit or len(page) < size:
            return
        pit_id = self._open_pit() if self.target.supports_point_in_time else None
        try:
            while returned < limit and page:
                size = min(self.page_size, limit - returned)
                body = {**base, "size": size, "search_after": page[-1].sort}
                if pit_id is not None:
                    body["pit"] = {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE}
                    response = self._search(body, with_index=False)
                    pit_id = response.get("pit_id", pit_id)
                else:
                    response = self._search(body)
                page = _hits(response)
                yield from page
                returned += len(page)
                if len(page) < size:
                    return
        finally:
            if pit_id is not None:
                self._close_pit(pit_id)

    def _open_pit(self) -> str | None:
        """A point in time for the later pages, or None where the cluster has none (OpenSearch
        before 2.4, a proxy that does not route it): plain ``search_after`` pages then."""
        from opensearchpy.exceptions import TransportError

        try:
            response = self.client.create_pit(index=self.index, params={"keep_alive": PIT_KEEP_ALIVE})
        except TransportError as exc:
            if exc.status_code in (400, 404, 405, 501):
                return None
            raise OpenSearchClientError(
                describe_error(exc, self.target, index=self.index, what="point-in-time search")
            ) from None
        return str(response["pit_id"])

    def _close_pit(self, pit_id: str) -> None:
        # Best effort: an unclosed point in time expires after its keep-alive anyway.
        with contextlib.suppress(Exception):
            self.client.delete_pit(body={"pit_id": [pit_id]})

    def count_and_buckets(
        self, filters: Filters, group_field: str, interval_s: int, size: int = 20
    ) -> dict[str, Any]:
        """Total, counts per ``group_field`` value and per time bucket, for ``stats``."""
        assert filters.start is not None and filters.end is not None
        body = {
            "size": 0,
            "track_total_hits": True,
            "query": filters.query_body(),
            "aggs": {
                "groups": {"terms": {"field": group_field, "size": size, "missing": "(none)"}}
                if group_field != fields.HTTP_STATUS
                else {"terms": {"field": group_field, "size": size}},
                "over_time": {
                    "date_histogram": {
                        "field": fields.TIMESTAMP,
                        "fixed_interval": f"{interval_s}s",
                        "min_doc_count": 0,
                        "extended_bounds": {"min": iso(filters.start), "max": iso(filters.end)},
                        "format": "strict_date_optional_time",
                    }
                },
            },
        }
        response = self._search(body)
        total = response.get("hits", {}).get("total", {})
        aggs = response.get("aggregations", {})
        return {
            "total": int(total.get("value", 0)) if isinstance(total, dict) else int(total),
            "groups": [
                {"key": bucket["key"], "count": bucket["doc_count"]}
                for bucket in aggs.get("groups", {}).get("buckets", [])
            ],
            "other": aggs.get("groups", {}).get("sum_other_doc_count", 0),
            "over_time": [
                {"start": bucket["key_as_string"], "count": bucket["doc_count"]}
                for bucket in aggs.get("over_time", {}).get("buckets", [])
            ],
        }


# --- one request ---------------------------------------------------------------------------------

REQUEST_MAX_EVENTS: Final = 2_000
_EXPANSION_ROUNDS: Final = 3


@dataclass
class RequestStory:
    """Everything about one request, in time order, and the ids that tie it together."""

    asked: str
    events: list[Hit] = field(default_factory=list)
    api_request_ids: set[str] = field(default_factory=set)
    lambda_request_ids: set[str] = field(default_factory=set)
    trace_ids: set[str] = field(default_factory=set)

    def reports(self) -> list[dict[str, Any]]:
        """The REPORT figures of each invocation (normally one)."""
        numbers = (
            fields.LAMBDA_DURATION_MS,
            fields.LAMBDA_BILLED_DURATION_MS,
            fields.LAMBDA_MEMORY_SIZE_MB,
            fields.LAMBDA_MAX_MEMORY_USED_MB,
            fields.LAMBDA_INIT_DURATION_MS,
            fields.LAMBDA_RESTORE_DURATION_MS,
            fields.LAMBDA_STATUS,
        )
        reports = []
        for hit in self.events:
            if hit.source.get(fields.LAMBDA_PLATFORM_TYPE) == "report":
                report = {fields.LAMBDA_REQUEST_ID: hit.source.get(fields.LAMBDA_REQUEST_ID)}
                report.update({name: hit.source[name] for name in numbers if name in hit.source})
                reports.append(report)
        return reports

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for hit in self.events:
            kind = str(hit.source.get(fields.EVENT_KIND, "unknown"))
            kinds[kind] = kinds.get(kind, 0) + 1
        statuses = sorted(
            {
                int(hit.source[fields.HTTP_STATUS])
                for hit in self.events
                if hit.source.get(fields.EVENT_KIND) == fields.KIND_ACCESS
                and isinstance(hit.source.get(fields.HTTP_STATUS), int)
            }
        )
        return {
            "asked": self.asked,
            "api_request_ids": sorted(self.api_request_ids),
            "lambda_request_ids": sorted(self.lambda_request_ids),
            "trace_ids": sorted(self.trace_ids),
            "events_by_kind": dict(sorted(kinds.items())),
            "http_status": statuses,
            "reports": self.reports(),
        }


def _ids_of(source: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    api = {str(source[name]) for name in (fields.HTTP_REQUEST_ID, fields.CORRELATION_ID) if source.get(name)}
    lam = {str(source[fields.LAMBDA_REQUEST_ID])} if source.get(fields.LAMBDA_REQUEST_ID) else set()
    trace = {str(source[fields.TRACE_ID])} if source.get(fields.TRACE_ID) else set()
    return api, lam, trace


def request_story(searcher: Searcher, request_id: str, filters: Filters | None = None) -> RequestStory:
    """The access-log line, the function's lines and START/END/REPORT of the request known by
    ``request_id`` (API request id, Lambda request id or X-Ray trace id), in time order.

    The first search finds every line carrying the id; the ids those lines carry (the Lambda request
    id in the function's lines, the API request id in their ``correlation.id``) are searched in
    turn, until nothing new turns up.
    """
    story = RequestStory(request_id)
    api: set[str] = set()
    lam: set[str] = set()
    trace: set[str] = set()
    seeds = {name: [request_id] for name in (*REQUEST_ID_FIELDS, fields.TRACE_ID)}
    seen: dict[tuple[str, str], Hit] = {}
    base = filters or Filters()
    for _ in range(_EXPANSION_ROUNDS):
        narrowed = replace(base, extra=(*base.extra, _any_of(seeds)))
        for hit in searcher.events(narrowed, limit=REQUEST_MAX_EVENTS, ascending=True):
            seen.setdefault(hit.key, hit)
            a, la, t = _ids_of(hit.source)
            api |= a
            lam |= la
            trace |= t
        new_seeds = {
            fields.HTTP_REQUEST_ID: sorted(api),
            fields.CORRELATION_ID: sorted(api),
            fields.LAMBDA_REQUEST_ID: sorted(lam),
        }
        new_seeds = {name: values for name, values in new_seeds.items() if values}
        if not new_seeds or all(set(new_seeds[n]) <= set(seeds.get(n, [])) for n in new_seeds):
            break
        seeds = {name: sorted(set(values) | set(seeds.get(name, []))) for name, values in new_seeds.items()}
    story.events = sorted(seen.values(), key=lambda hit: (str(hit.source.get(fields.TIMESTAMP, "")), hit.key))
    story.api_request_ids = api
    story.lambda_request_ids = lam
    story.trace_ids = trace
    return story


# --- tail ----------------------------------------------------------------------------------------

MIN_INTERVAL_S: Final = 0.2
MAX_INTERVAL_S: Final = 60.0


def tail(
    searcher: Searcher,
    filters: Filters,
    *,
    start: datetime,
    interval_s: float = 2.0,
    lookback_s: float = 30.0,
    max_polls: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Hit]:
    """New events, oldest first, polling every ``interval_s`` until interrupted (or ``max_polls``).

    Each poll asks for events from ``lookback_s`` before the newest one seen, so an event indexed
    late (ingest lag, refresh interval) with an older timestamp is still picked up; events already
    printed are skipped by their CloudWatch event id and timestamp.
    """
    if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
        raise QueryError(f"--interval must be {MIN_INTERVAL_S}..{MAX_INTERVAL_S} seconds")
    seen: dict[tuple[str, str], datetime] = {}
    cursor = start
    polls = 0
    while max_polls is None or polls < max_polls:
        if polls:
            sleep(interval_s)
        polls += 1
        since = start if polls == 1 else cursor - timedelta(seconds=lookback_s)
        window = replace(filters, start=since, end=None)
        for hit in searcher.events(window, limit=MAX_LIMIT, ascending=True):
            if hit.key in seen:
                continue
            stamp = _timestamp(hit)
            seen[hit.key] = stamp
            cursor = max(cursor, stamp)
            yield hit
        horizon = cursor - timedelta(seconds=lookback_s * 2)
        for key in [key for key, stamp in seen.items() if stamp < horizon]:
            del seen[key]


def _timestamp(hit: Hit) -> datetime:
    raw = hit.source.get(fields.TIMESTAMP)
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw / 1000, UTC)
    try:
        return parse_time(str(raw))
    except QueryError:
        return datetime.fromtimestamp(0, UTC)


def histogram_interval(start: datetime, end: datetime, buckets: int = 30) -> int:
    """A round bucket width (seconds) that cuts [start, end] into about ``buckets`` bars."""
    span = max(1.0, (end - start).total_seconds())
    for width in (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400):
        if span / width <= buckets:
            return width
    return math.ceil(span / buckets / 86400) * 86400


def ensure(condition: bool, message: str) -> None:
    if not condition:
        raise OpenSearchClientError(message)
