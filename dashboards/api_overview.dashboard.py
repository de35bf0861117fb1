"""API and function overview: traffic, errors, latency, throttling, concurrency, cold starts.

Built from the alarm catalog: each alarm about the API or its function is drawn with its own query
and threshold; the overview panels around them add the context an on-call engineer reads first.
"""

from alerts.catalog import API_5XX, API_DIMS, API_LATENCY, API_REQUESTS, API_SERVICE_DIMS, FUNCTION_DIMS
from alerts.model import MetricRef, Var
from dashboards import panels as p
from dashboards.model import Dashboard, MathQuery
from signals import metrics as M
from signals.services import API_SERVICE

api = p.owned_alarms(p.API_UID)
board = p.Board(owned=api[0], composites=api[1])
to_logs = [p.logs_link(p.FUNCTION.name)]


def lam(name: str) -> MetricRef:
    return MetricRef(M.LAMBDA_NAMESPACE, name, FUNCTION_DIMS)


def emf(name: str) -> MetricRef:
    return MetricRef(M.NAMESPACE, name, API_SERVICE_DIMS)


five_xx = p.math_alarm("api-5xx-rate")
fn_errors = p.math_alarm("function-error-rate")
latency_p99 = p.alarm("api-latency-p99")
duration_p99 = p.alarm("function-duration-p99")
throttles = p.alarm("function-throttles")
s3_throttled = p.alarm("s3-throttled")

board.section("Traffic and errors")
board.add(
    (
        p.timeseries(
            "Requests",
            [
                p.metric("A", API_REQUESTS, "Sum", label="API requests"),
                p.metric("B", lam(M.LAMBDA_INVOCATIONS), "Sum", label="Function invocations"),
            ],
            unit="short",
            description="Requests reaching the API and invocations of its function, per period.",
            links=to_logs,
        ),
        8,
    ),
    (
        p.timeseries(
            five_xx.label,
            p.alarm_queries(five_xx),
            unit=p.unit_of(five_xx),
            alarms=[five_xx],
            description="Share of API requests answered 5xx.",
            links=to_logs,
        ),
        8,
    ),
    (
        p.timeseries(
            fn_errors.label,
            p.alarm_queries(fn_errors),
            unit=p.unit_of(fn_errors),
            alarms=[fn_errors],
            description="Share of invocations that failed (unhandled error or timeout).",
            links=to_logs,
        ),
        8,
    ),
    claims=[five_xx, fn_errors],
)
board.add(
    (
        p.timeseries(
            "Responses by class",
            [
                p.metric("A", MetricRef(M.APIGW_NAMESPACE, M.APIGW_4XX, API_DIMS), "Sum", label="4xx"),
                p.metric("B", API_5XX, "Sum", label="5xx"),
                p.metric("C", emf(M.BAD_REQUESTS), "Sum", label="400 (validation)"),
                p.metric("D", emf(M.INTERNAL_ERRORS), "Sum", label="500 (function)"),
            ],
            unit="short",
            bars=True,
            description="Client and server errors as API Gateway and as the function count them.",
            links=to_logs,
        ),
        12,
    ),
    (
        p.timeseries(
            "Listing",
            [
                p.metric("A", emf(M.LIST_REQUESTS), "Sum", label="successful list calls"),
                p.metric("B", emf(M.OBJECTS_LISTED), "Average", label="objects per request"),
            ],
            unit="short",
            description="What the function served: list calls and the average page size.",
            links=to_logs,
        ),
        12,
    ),
)

board.section("Latency")
board.add(
    (
        p.timeseries(
            "API latency p50 / p90 / p99",
            [
                p.metric(ref, API_LATENCY, stat, label=stat, period=str(latency_p99.period))
                for ref, stat in (("A", "p50"), ("B", "p90"), ("C", "p99"))
            ],
            unit="ms",
            alarms=[latency_p99],
            description="End-to-end latency measured by API Gateway.",
            links=to_logs,
        ),
        8,
    ),
    (
        p.timeseries(
            "Function duration p50 / p90 / p99",
            [
                p.metric(ref, lam(M.LAMBDA_DURATION), stat, label=stat, period=str(duration_p99.period))
                for ref, stat in (("A", "p50"), ("B", "p90"), ("C", "p99"))
            ],
            unit="ms",
            alarms=[duration_p99],
            description="Time the function runs per invocation (cold starts included).",
            links=to_logs,
        ),
        8,
    ),
    (
        p.timeseries(
            "Where the time goes (p99)",
            [
                p.metric(
                    "A",
                    MetricRef(M.APIGW_NAMESPACE, M.APIGW_INTEGRATION_LATENCY, API_DIMS),
                    "p99",
                    label="integration (function)",
                ),
                p.metric("B", emf(M.S3_LATENCY), "p99", label="S3 ListObjectsV2"),
            ],
            unit="ms",
            description="Integration latency as API Gateway sees it and the S3 call inside the function.",
            links=to_logs,
        ),
        8,
    ),
    claims=[latency_p99, duration_p99],
)

board.section("Capacity")
board.add(
    (
        p.timeseries(
            "Function throttles",
            p.alarm_queries(throttles),
            unit="short",
            alarms=[throttles],
            bars=True,
            description="Invocations rejected by Lambda's concurrency limit.",
            links=to_logs,
        ),
        6,
    ),
    (
        p.timeseries(
            "S3 throttling",
            p.alarm_queries(s3_throttled),
            unit="short",
            alarms=[s3_throttled],
            bars=True,
            description="Requests answered 503 because S3 throttled the listing.",
            links=to_logs,
        ),
        6,
    ),
    (
        p.timeseries(
            "Concurrency",
            [p.metric("A", lam(M.LAMBDA_CONCURRENT), "Maximum", label="concurrent executions")],
            unit="short",
            description="Peak concurrent executions of the function.",
            links=to_logs,
        ),
        6,
    ),
    (
        p.timeseries(
            "Cold starts",
            [
                p.metric(
                    "A",
                    MetricRef(
                        M.NAMESPACE,
                        M.COLD_START,
                        ((M.DIM_FUNCTION_NAME, Var.FUNCTION_NAME), (M.DIM_SERVICE, API_SERVICE)),
                    ),
                    "Sum",
                    label="cold starts",
                    query_id="cold",
                ),
                p.metric("B", lam(M.LAMBDA_INVOCATIONS), "Sum", hide=True, query_id="inv"),
                MathQuery(refId="C", id="ratio", expression="100 * cold / inv", label="% of invocations"),
            ],
            unit="short",
            bars=True,
            description="Powertools' ColdStart metric; the ratio is cold starts per 100 invocations.",
            links=to_logs,
        ),
        6,
    ),
    claims=[throttles, s3_throttled],
)

dashboard = Dashboard(
    uid=p.API_UID,
    title="API and function overview",
    description="Traffic, errors, latency and capacity of the objects API, with its alarms.",
    tags=p.TAGS,
    panels=board.finish(),
    variables=p.API_VARIABLES,
    annotations=p.annotations_for(board.owned),
    links=p.dashboard_links(),
)
