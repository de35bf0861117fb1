"""Logs (OpenSearch): recent errors, volume by level and service, slowest requests, one request.

Every panel's Lucene query carries the same filter, so typing a request id or a trace id (or
following a link from a metric panel or a table row) narrows the whole dashboard to one request.
A request id matches the Lambda request id, the API request id of the access log and the
correlation id the function logs (the API request id), so either id a developer holds works.
"""

from typing import Any

import grafanalib.core as g

from dashboards import panels as p
from dashboards.model import ALL, OPENSEARCH, Agg, Dashboard, OpenSearchQuery, Variable, layout
from signals import logs as fields
from signals.services import API_SERVICE, PROJECT, SHIPPER_SERVICE


def esc(field: str) -> str:
    """A field name inside a Lucene query (``@`` and ``.`` are fine; nothing else to escape)."""
    return field


REQUEST_ID = Variable(
    name="request_id",
    label="Request id",
    type="textbox",
    query="",
    default="",
    description="An API request id or a Lambda request id (or its start); empty for all requests.",
)
TRACE_ID = Variable(
    name="trace_id",
    label="Trace id",
    type="textbox",
    query="",
    default="",
    description="An X-Ray trace id, e.g. 1-5759e988-bd862e3fe1be46a994272793 (or its start); empty: all.",
)
FUNCTION_NAMES = (f"{PROJECT}-{API_SERVICE}", f"{PROJECT}-{SHIPPER_SERVICE}")
FUNCTION = Variable(
    name="function",
    label="Function",
    type="custom",
    query=",".join(FUNCTION_NAMES),
    default=ALL,
    options=FUNCTION_NAMES,
    includeAll=True,
    allValue="*",
    description="The Lambda function whose logs to show (access logs always show).",
)

# The OpenSearch data source interpolates variables into Lucene with the `lucene` format, which
# escapes reserved characters (API Gateway request ids end with "="). So an id is matched as a
# prefix, `field:<escaped id>*`, and an empty textbox becomes `field:*`: every document with an id.
REQUEST_FILTER = (
    f"({esc(fields.LAMBDA_REQUEST_ID)}:${{request_id}}* OR {esc(fields.HTTP_REQUEST_ID)}:${{request_id}}*"
    f" OR {esc(fields.CORRELATION_ID)}:${{request_id}}*)"
)
# `(*:* NOT _exists_:x)`, not a bare `NOT _exists_:x`: inside an OR group Lucene would turn a bare NOT
# into a must_not of the whole group.
TRACE_FILTER = f"({esc(fields.TRACE_ID)}:${{trace_id}}* OR (*:* NOT _exists_:{esc(fields.TRACE_ID)}))"
FUNCTION_FILTER = (
    f"({esc(fields.LAMBDA_FUNCTION_NAME)}:$function OR (*:* NOT _exists_:{esc(fields.LAMBDA_FUNCTION_NAME)}))"
)
FILTER = f"{REQUEST_FILTER} AND {TRACE_FILTER} AND {FUNCTION_FILTER}"
"""Applied to every panel. The trace and function clauses keep documents that cannot carry the
field (access logs have no trace id and no function), so they only narrow what they can."""


def query(extra: str = "") -> str:
    return f"{FILTER} AND {extra}" if extra else FILTER


COUNT = Agg("1", "count")


def histogram(agg_id: str) -> Agg:
    return Agg(
        agg_id,
        "date_histogram",
        fields.TIMESTAMP,
        {"interval": "auto", "min_doc_count": "0", "trimEdges": "0"},
    )


def terms(agg_id: str, field: str, size: int = 10, order_by: str = "_count") -> Agg:
    return Agg(
        agg_id,
        "terms",
        field,
        {"size": str(size), "order": "desc", "orderBy": order_by, "min_doc_count": "1"},
    )


def volume_by(title: str, field: str, description: str) -> g.TimeSeries:
    return p.timeseries(
        title,
        [
            OpenSearchQuery(
                refId="A",
                query=query(),
                metrics=(COUNT,),
                bucketAggs=(terms("2", field), histogram("3")),
                alias=f"{{{{term {field}}}}}",
            )
        ],
        unit="short",
        stacked=True,
        bars=True,
        description=description,
    )


def id_links(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Table overrides: clicking a request id or trace id cell filters the dashboard to it."""
    return [
        {
            "matcher": {"id": "byName", "options": field},
            "properties": [{"id": "links", "value": [p.request_link(variable)]}],
        }
        for field, variable in pairs
    ]


def table(
    title: str,
    target: OpenSearchQuery,
    *,
    columns: tuple[str, ...],
    description: str,
    overrides: list[dict[str, Any]],
    sort_by: str | None = None,
) -> g.Table:
    return g.Table(
        title=title,
        dataSource=OPENSEARCH,
        targets=[target],
        description=description,
        overrides=overrides,
        sortBy=[g.TableSortByField(displayName=sort_by, desc=True)] if sort_by else [],
        transformations=[
            {"id": "filterFieldsByName", "options": {"include": {"names": list(columns)}}},
        ],
    )


ID_LINKS = id_links(
    (fields.LAMBDA_REQUEST_ID, REQUEST_ID.name),
    (fields.HTTP_REQUEST_ID, REQUEST_ID.name),
    (fields.CORRELATION_ID, REQUEST_ID.name),
    (fields.TRACE_ID, TRACE_ID.name),
)
SLOWEST_BY = "Max " + fields.LAMBDA_DURATION_MS

panels = layout(
    [
        [(p.row("Volume"), 24)],
        [
            (volume_by("Log volume by level", fields.LOG_LEVEL, "Application log lines per level."), 8),
            (
                volume_by("Log volume by service", fields.SERVICE_NAME, "Application log lines per service."),
                8,
            ),
            (
                volume_by(
                    "Documents by kind",
                    fields.EVENT_KIND,
                    "Application, platform (START/END/REPORT) and API access-log documents.",
                ),
                8,
            ),
        ],
        [(p.row("Errors"), 24)],
        [
            (
                table(
                    "Recent errors",
                    OpenSearchQuery(
                        refId="A",
                        query=query(f"{esc(fields.LOG_LEVEL)}:ERROR"),
                        metrics=(Agg("1", "raw_data", settings={"size": "100"}),),
                    ),
                    columns=(
                        fields.TIMESTAMP,
                        fields.SERVICE_NAME,
                        fields.CORRELATION_ID,
                        fields.TRACE_ID,
                        fields.ERROR_TYPE,
                        fields.MESSAGE,
                    ),
                    description="The latest ERROR lines; click an id to see everything that request logged.",
                    overrides=ID_LINKS,
                ),
                16,
            ),
            (
                table(
                    "Errors by type",
                    OpenSearchQuery(
                        refId="A",
                        query=query(f"{esc(fields.LOG_LEVEL)}:ERROR"),
                        metrics=(COUNT,),
                        bucketAggs=(terms("2", fields.ERROR_TYPE, size=20),),
                    ),
                    columns=(fields.ERROR_TYPE, "Count"),
                    description="ERROR lines grouped by exception type.",
                    overrides=[],
                    sort_by="Count",
                ),
                8,
            ),
        ],
        [(p.row("Requests"), 24)],
        [
            (
                table(
                    "Slowest requests (REPORT lines)",
                    OpenSearchQuery(
                        refId="A",
                        query=query(
                            f"{esc(fields.EVENT_KIND)}:{fields.KIND_PLATFORM} AND "
                            f"{esc(fields.LAMBDA_PLATFORM_TYPE)}:report"
                        ),
                        metrics=(
                            Agg("1", "max", fields.LAMBDA_DURATION_MS),
                            Agg("2", "max", fields.LAMBDA_INIT_DURATION_MS),
                            Agg("3", "max", fields.LAMBDA_MAX_MEMORY_USED_MB),
                            Agg("4", "max", fields.LAMBDA_BILLED_DURATION_MS),
                        ),
                        bucketAggs=(terms("5", fields.LAMBDA_REQUEST_ID, size=20, order_by="1"),),
                    ),
                    columns=(
                        fields.LAMBDA_REQUEST_ID,
                        SLOWEST_BY,
                        "Max " + fields.LAMBDA_INIT_DURATION_MS,
                        "Max " + fields.LAMBDA_MAX_MEMORY_USED_MB,
                        "Max " + fields.LAMBDA_BILLED_DURATION_MS,
                    ),
                    description="Lambda's REPORT line per invocation: duration, init (cold start), memory.",
                    overrides=ID_LINKS,
                    sort_by=SLOWEST_BY,
                ),
                12,
            ),
            (
                p.timeseries(
                    "API responses by status (access log)",
                    [
                        OpenSearchQuery(
                            refId="A",
                            query=query(f"{esc(fields.EVENT_KIND)}:{fields.KIND_ACCESS}"),
                            metrics=(COUNT,),
                            bucketAggs=(terms("2", fields.HTTP_STATUS), histogram("3")),
                            alias=f"{{{{term {fields.HTTP_STATUS}}}}}",
                        )
                    ],
                    unit="short",
                    stacked=True,
                    bars=True,
                    description="From API Gateway's access log, one document per request.",
                ),
                6,
            ),
            (
                p.timeseries(
                    "API latency (access log)",
                    [
                        OpenSearchQuery(
                            refId="A",
                            query=query(f"{esc(fields.EVENT_KIND)}:{fields.KIND_ACCESS}"),
                            metrics=(
                                Agg(
                                    "1",
                                    "percentiles",
                                    fields.HTTP_LATENCY_MS,
                                    {"percents": ["50", "90", "99"]},
                                ),
                            ),
                            bucketAggs=(histogram("2"),),
                        )
                    ],
                    unit="ms",
                    description="responseLatency percentiles from the access log.",
                ),
                6,
            ),
        ],
        [(p.row("Log stream"), 24)],
        [
            (
                g.Logs(
                    title="Logs matching the filters",
                    dataSource=OPENSEARCH,
                    targets=[
                        OpenSearchQuery(
                            refId="A", query=query(), metrics=(Agg("1", "logs", settings={"limit": "500"}),)
                        )
                    ],
                    description="Everything matching the request, trace and function filters, newest first.",
                    showTime=True,
                    wrapLogMessages=True,
                    enableLogDetails=True,
                    prettifyLogMessage=False,
                ),
                24,
            ),
        ],
    ]
)

dashboard = Dashboard(
    uid=p.LOGS_UID,
    title="Logs",
    description="Logs shipped to OpenSearch, filterable by request id and trace id on every panel.",
    tags=p.TAGS,
    panels=panels,
    variables=(REQUEST_ID, TRACE_ID, FUNCTION),
    links=p.dashboard_links(),
    time_from="now-1h",
    refresh="30s",
)
