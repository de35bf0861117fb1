"""``obsctl logs``: find the platform's logs in OpenSearch (a local node, OpenSearch Serverless, a domain).

- ``search [QUERY]``: events matching a query and filters, newest first (``--asc`` for oldest first).
- ``request ID``: one request's access-log line, function lines and START/END/REPORT, from any of its
  ids (API request id, Lambda request id, X-Ray trace id), with the REPORT figures summarised.
- ``tail``: follow new events until Ctrl-C.
- ``stats``: counts per level, service, status, kind or route, and a histogram over time.

Target: ``--endpoint``, else ``$OPENSEARCH_URL``, else the node ``obsctl opensearch start`` left running.
SigV4 (``aoss``/``es``) is chosen from the endpoint's host name unless ``--auth`` says otherwise.
Every failure is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import UTC, datetime
from typing import Any

from obsctl.cli import CliError
from signals import logs as fields

__all__ = [
    "register",
    "request_summary_lines",
]

_KINDS = fields.EVENT_KINDS


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "logs",
        help="Search, follow and count the platform's logs in OpenSearch (local node or AWS, SigV4).",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="logs_command", metavar="ACTION", required=True)

    search = actions.add_parser(
        "search",
        help="Events matching QUERY and the filters, newest first",
        description=(
            "QUERY uses the Lucene query string syntax: bare words search the message and error texts, "
            f"`{fields.LOG_LEVEL}:ERROR`, `{fields.HTTP_STATUS}:>=500`, `labels.prefix:reports*`, "
            "AND/OR/NOT, quotes. "
            "Without --since/--from, the last 15 minutes."
        ),
    )
    search.add_argument("query", nargs="?", help="query string (Lucene syntax); default: every event")
    _add_filters(search)
    _add_range(search, default_since="15m")
    search.add_argument("--limit", type=int, default=100, help="at most this many events (default 100)")
    search.add_argument("--asc", action="store_true", help="oldest first (default: newest first)")
    _add_common(search)
    search.set_defaults(func=_search)

    request = actions.add_parser(
        "request",
        help="Everything about one request, in time order, with its REPORT figures",
        description=(
            "ID is an API request id (the apigw-requestid header, the access log's requestId), a Lambda "
            "request id or an X-Ray trace id. Prints the access-log line, the function's lines and "
            "START/END/REPORT in time order, then a summary of the REPORT figures."
        ),
    )
    request.add_argument("id", help="API request id, Lambda request id or trace id")
    _add_range(request, default_since=None)
    _add_common(request)
    request.set_defaults(func=_request)

    tail = actions.add_parser(
        "tail",
        help="Follow new events (polling) until Ctrl-C",
        description=(
            "Polls with search_after every --interval seconds and prints new events oldest first. Each poll "
            "looks back --lookback seconds, so late-indexed events are not missed; none is printed twice."
        ),
    )
    tail.add_argument("query", nargs="?", help="query string (Lucene syntax)")
    _add_filters(tail)
    tail.add_argument("--since", default="1m", help="start with events this recent (default 1m)")
    tail.add_argument(
        "--interval", type=float, default=2.0, help="seconds between polls, 0.2..60 (default 2)"
    )
    tail.add_argument(
        "--lookback", type=float, default=30.0, help="seconds each poll looks back (default 30)"
    )
    tail.add_argument(
        "--max-polls", type=int, default=None, help="stop after this many polls (default: never)"
    )
    _add_common(tail)
    tail.set_defaults(func=_tail)

    stats = actions.add_parser(
        "stats",
        help="Counts per level, service, status, kind or route, and a histogram over time",
        description="Counts the matching events per --by value and per time bucket. Default: the last hour.",
    )
    stats.add_argument("query", nargs="?", help="query string (Lucene syntax)")
    _add_filters(stats)
    _add_range(stats, default_since="1h")
    stats.add_argument("--by", choices=("level", "service", "status", "kind", "route"), default="level")
    _add_common(stats, outputs=("text", "json"))
    stats.set_defaults(func=_stats)


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--service", action="append", default=[], help=f"{fields.SERVICE_NAME} or function name"
    )
    parser.add_argument("--level", action="append", default=[], help=f"{fields.LOG_LEVEL} (repeatable)")
    parser.add_argument("--request-id", help="API or Lambda request id")
    parser.add_argument("--trace-id", help=f"X-Ray trace id ({fields.TRACE_ID})")
    parser.add_argument("--kind", action="append", choices=_KINDS, default=[], help=f"{fields.EVENT_KIND}")


def _add_range(parser: argparse.ArgumentParser, default_since: str | None) -> None:
    group = parser.add_argument_group("time range")
    default = f" (default {default_since})" if default_since else " (default: any time)"
    group.add_argument("--since", help=f"events newer than this: 30s, 15m, 2h, 7d{default}")
    group.add_argument("--from", dest="start", help="start time, ISO 8601 (e.g. 2026-12-02T10:00:00Z)")
    group.add_argument("--to", dest="end", help="end time, ISO 8601 (default: now)")
    parser.set_defaults(default_since=default_since)


def _add_common(
    parser: argparse.ArgumentParser, outputs: tuple[str, ...] = ("text", "json", "ndjson")
) -> None:
    from obsctl.log_format import COLOR_MODES
    from obsctl.log_search import DEFAULT_INDEX, DEFAULT_PAGE
    from obsctl.opensearch_client import AUTH_AUTO, AUTH_MODES

    target = parser.add_argument_group("target")
    target.add_argument("--endpoint", help="OpenSearch URL (default: $OPENSEARCH_URL, then the local node)")
    target.add_argument(
        "--auth",
        choices=(AUTH_AUTO, *AUTH_MODES),
        default=AUTH_AUTO,
        help="SigV4 service; auto: aoss/es from the endpoint's host name, else none",
    )
    target.add_argument("--region", help="SigV4 region (default: from the endpoint, then $AWS_REGION)")
    target.add_argument("--index", default=DEFAULT_INDEX, help=f"index pattern (default {DEFAULT_INDEX})")
    target.add_argument(
        "--page-size", type=int, default=DEFAULT_PAGE, help=f"events per request (default {DEFAULT_PAGE})"
    )
    parser.add_argument(
        "--output", "-o", choices=outputs, default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--color", choices=COLOR_MODES, default="auto", help="colour text output (default: on a terminal)"
    )


def _range(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    from obsctl.log_search import parse_duration, parse_time

    now = datetime.now(UTC)
    if args.since and args.start:
        raise CliError("use --since or --from, not both")
    start = end = None
    if args.since:
        start = now - parse_duration(args.since)
    elif args.start:
        start = parse_time(args.start, now)
    elif args.default_since:
        start = now - parse_duration(args.default_since)
    if args.end:
        end = parse_time(args.end, now)
    if start and end and start > end:
        raise CliError("--from is after --to")
    return start, end


def _filters(args: argparse.Namespace, start: datetime | None, end: datetime | None) -> Any:
    from obsctl.log_search import Filters

    return Filters(
        query=args.query or None,
        start=start,
        end=end,
        services=tuple(args.service),
        levels=tuple(args.level),
        request_id=args.request_id,
        trace_id=args.trace_id,
        kinds=tuple(args.kind),
    )


def _searcher(args: argparse.Namespace) -> Any:
    from obsctl.log_search import Searcher
    from obsctl.opensearch_client import build_client, resolve_target

    target = resolve_target(args.endpoint, args.auth, args.region)
    return Searcher(build_client(target), target, index=args.index, page_size=args.page_size)


def _writer(args: argparse.Namespace) -> Any:
    from obsctl.log_format import EventWriter, use_colour

    return EventWriter(sys.stdout, args.output, use_colour(args.color, sys.stdout))


def _guarded(run: Any) -> Any:
    """Turn the library's user-facing errors into CliError (one line, exit 2)."""

    def wrapper(args: argparse.Namespace) -> int:
        from obsctl.log_search import QueryError
        from obsctl.opensearch_client import OpenSearchClientError

        try:
            result: int = run(args)
        except (OpenSearchClientError, QueryError) as exc:
            raise CliError(str(exc)) from None
        except BrokenPipeError:  # `| head` closed the pipe: not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        return result

    return wrapper


@_guarded
def _search(args: argparse.Namespace) -> int:
    start, end = _range(args)
    searcher = _searcher(args)
    writer = _writer(args)
    writer.write_all(searcher.events(_filters(args, start, end), limit=args.limit, ascending=args.asc))
    writer.close({"count": writer.count})
    if writer.count == 0 and args.output == "text":
        print("no matching events", file=sys.stderr)
    return 0


@_guarded
def _request(args: argparse.Namespace) -> int:
    from obsctl.log_search import Filters, request_story

    start, end = _range(args)
    story = request_story(_searcher(args), args.id, Filters(start=start, end=end))
    if not story.events:
        raise CliError(f"no events for {args.id!r} (API request id, Lambda request id or trace id)")
    writer = _writer(args)
    writer.write_all(story.events)
    if args.output == "json":
        writer.close({"count": writer.count, "request": story.summary()})
    elif args.output == "text":
        print("\n".join(request_summary_lines(story)))
    return 0


def request_summary_lines(story: Any) -> list[str]:
    """The summary after a request's events (ids, statuses, REPORT figures), safe for a terminal."""
    from obsctl.log_format import inert, report_summary

    lines: list[str] = []
    summary = story.summary()
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary["events_by_kind"].items())
    lines.append(f"-- {len(story.events)} events ({kinds})")
    if summary["api_request_ids"]:
        lines.append(f"-- API request id: {', '.join(summary['api_request_ids'])}")
    if summary["lambda_request_ids"]:
        lines.append(f"-- Lambda request id: {', '.join(summary['lambda_request_ids'])}")
    if summary["trace_ids"]:
        lines.append(f"-- trace id: {', '.join(summary['trace_ids'])}")
    if summary["http_status"]:
        lines.append(f"-- HTTP status: {', '.join(map(str, summary['http_status']))}")
    lines.extend(f"-- {line}" for line in report_summary(summary["reports"]))
    return [inert(line) for line in lines]


@_guarded
def _tail(args: argparse.Namespace) -> int:
    from obsctl.log_search import parse_duration, tail

    if args.max_polls is not None and args.max_polls < 1:
        raise CliError("--max-polls must be at least 1")
    if not 0 <= args.lookback <= 3600:
        raise CliError("--lookback must be 0..3600 seconds")
    start = datetime.now(UTC) - parse_duration(args.since)
    searcher = _searcher(args)
    writer = _writer(args)
    with contextlib.suppress(KeyboardInterrupt):
        writer.write_all(
            tail(
                searcher,
                _filters(args, None, None),
                start=start,
                interval_s=args.interval,
                lookback_s=args.lookback,
                max_polls=args.max_polls,
            )
        )
    writer.close({"count": writer.count})
    return 0


@_guarded
def _stats(args: argparse.Namespace) -> int:
    import json

    from obsctl.log_format import stats_text
    from obsctl.log_search import GROUP_BY, histogram_interval

    start, end = _range(args)
    end = end or datetime.now(UTC)
    assert start is not None  # stats has a default range
    interval = histogram_interval(start, end)
    searcher = _searcher(args)
    result = searcher.count_and_buckets(_filters(args, start, end), GROUP_BY[args.by], interval)
    result.update({"by": args.by, "interval_seconds": interval, "from": _iso(start), "to": _iso(end)})
    if args.output == "json":
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print("\n".join(stats_text(result, args.by)))
    return 0


def _iso(moment: datetime) -> str:
    from obsctl.log_search import iso

    return iso(moment)
