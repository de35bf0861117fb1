"""Log pipeline health: what the shipper received, indexed, retried and dead-lettered, how late.

The shipper reports its own work as EMF (namespace ``ObsPlatform``, dimension ``service``); Lambda
reports its invocations and its async queue (``AsyncEventAge``); CloudWatch Logs reports whether the
subscriptions could deliver at all (``DeliveryErrors`` / ``DeliveryThrottling``).
"""

from alerts.catalog import SHIPPER_DIMS, SHIPPER_SERVICE_DIMS
from alerts.model import MetricRef
from dashboards import panels as p
from dashboards.model import Dashboard, InsightsQuery
from signals import metrics as M

owned = p.owned_alarms(p.PIPELINE_UID)
board = p.Board(owned=owned[0], composites=owned[1])
to_logs = [p.logs_link(p.SHIPPER.name)]


def shipper(name: str) -> MetricRef:
    return MetricRef(M.NAMESPACE, name, SHIPPER_SERVICE_DIMS)


def lam(name: str) -> MetricRef:
    return MetricRef(M.LAMBDA_NAMESPACE, name, SHIPPER_DIMS)


dead_letters = p.alarm("shipper-dead-letters")
shipper_errors = p.alarm("shipper-errors")
event_age = p.alarm("shipper-async-event-age")
dropped = p.alarm("shipper-async-events-dropped")
delivery = [
    p.alarm(name)
    for name in (
        "function-logs-delivery-errors",
        "access-logs-delivery-errors",
        "function-logs-delivery-throttling",
        "access-logs-delivery-throttling",
    )
]

board.section("Shipper throughput")
board.add(
    (
        p.timeseries(
            "Events in, documents out",
            [
                p.metric("A", shipper(M.SHIPPER_EVENTS_RECEIVED), "Sum", label="events received"),
                p.metric("B", shipper(M.SHIPPER_DOCS_INDEXED), "Sum", label="documents indexed"),
                p.metric("C", shipper(M.SHIPPER_EMF_SKIPPED), "Sum", label="EMF lines skipped"),
            ],
            unit="short",
            description="Received = indexed + EMF skipped + dead-lettered when nothing is lost.",
            links=to_logs,
        ),
        8,
    ),
    (
        p.timeseries(
            "Retried and dead-lettered",
            [
                p.metric("A", shipper(M.SHIPPER_DOCS_RETRIED), "Sum", label="documents retried"),
                *p.alarm_queries(dead_letters, ref_prefix="D"),
            ],
            unit="short",
            bars=True,
            alarms=[dead_letters],
            description="Retries are normal under throttling; a dead letter is a document in S3 only.",
            links=to_logs,
        ),
        8,
    ),
    (
        p.timeseries(
            "Ingest lag",
            [p.metric("A", shipper(M.SHIPPER_INGEST_LAG), "Maximum", label="oldest event to indexed")],
            unit="ms",
            description="From the oldest event's CloudWatch timestamp to its indexing, per invocation (max).",
            links=to_logs,
        ),
        8,
    ),
    claims=[dead_letters],
)
board.add(
    (
        p.timeseries(
            "Bulk requests",
            [p.metric("A", shipper(M.SHIPPER_BULK_REQUESTS), "Sum", label="_bulk requests")],
            unit="short",
            description="Requests to OpenSearch's _bulk API (batches are split by bytes and count).",
            links=to_logs,
        ),
        12,
    ),
    (
        p.timeseries(
            "Bulk bytes",
            [p.metric("A", shipper(M.SHIPPER_BULK_BYTES), "Sum", label="bytes sent")],
            unit="bytes",
            description="Bytes sent to OpenSearch.",
            links=to_logs,
        ),
        12,
    ),
)

board.section("Shipper function and its async queue")
board.add(
    (
        p.timeseries(
            "Shipper errors",
            p.alarm_queries(shipper_errors),
            unit="short",
            alarms=[shipper_errors],
            bars=True,
            description="Failed invocations: Lambda retries them twice, then hands the event "
            "to the on-failure destination.",
            links=to_logs,
        ),
        6,
    ),
    (
        p.timeseries(
            "Shipper invocations and duration",
            [
                p.metric("A", lam(M.LAMBDA_INVOCATIONS), "Sum", label="invocations"),
                p.metric("B", lam(M.LAMBDA_THROTTLES), "Sum", label="throttles"),
                p.metric("C", lam(M.LAMBDA_CONCURRENT), "Maximum", label="concurrency"),
            ],
            unit="short",
            description="Invocations, throttles and peak concurrency of the shipper.",
            links=to_logs,
        ),
        6,
    ),
    (
        p.timeseries(
            "Async event age",
            p.alarm_queries(event_age),
            unit="ms",
            alarms=[event_age],
            description="How long log events wait in Lambda's async queue before the shipper runs.",
            links=to_logs,
        ),
        6,
    ),
    (
        p.timeseries(
            "Async events received and dropped",
            [
                p.metric("A", lam(M.LAMBDA_ASYNC_RECEIVED), "Sum", label="received"),
                *p.alarm_queries(dropped, ref_prefix="D"),
            ],
            unit="short",
            alarms=[dropped],
            description="Events Lambda queued for the shipper, and events it dropped (lost logs).",
            links=to_logs,
        ),
        6,
    ),
    claims=[shipper_errors, event_age, dropped],
)

board.section("Subscription delivery (CloudWatch Logs -> shipper)")
board.add(
    *(
        (
            p.timeseries(
                f"Delivery: {alarm.name}",
                p.alarm_queries(alarm),
                unit="short",
                alarms=[alarm],
                bars=True,
                description="Per subscription filter, as CloudWatch Logs reports it.",
                links=to_logs,
            ),
            6,
        )
        for alarm in delivery
    ),
    claims=delivery,
)
board.add(
    (
        p.timeseries(
            "Delivery errors of every subscription in the account (Metrics Insights)",
            [
                InsightsQuery(
                    refId="A",
                    namespace=M.LOGS_NAMESPACE,
                    metricName=M.LOGS_DELIVERY_ERRORS,
                    schema=(M.LOGS_DIM_DESTINATION, M.LOGS_DIM_FILTER, M.LOGS_DIM_LOG_GROUP),
                    group_by=(M.LOGS_DIM_LOG_GROUP, M.LOGS_DIM_FILTER),
                    order_limit=20,
                ),
                InsightsQuery(
                    refId="B",
                    namespace=M.LOGS_NAMESPACE,
                    metricName=M.LOGS_DELIVERY_THROTTLING,
                    schema=(M.LOGS_DIM_DESTINATION, M.LOGS_DIM_FILTER, M.LOGS_DIM_LOG_GROUP),
                    group_by=(M.LOGS_DIM_LOG_GROUP, M.LOGS_DIM_FILTER),
                    order_limit=20,
                ),
            ],
            unit="short",
            bars=True,
            description="Also shows subscriptions the variables do not name (new log group, renamed filter).",
        ),
        24,
    ),
)

dashboard = Dashboard(
    uid=p.PIPELINE_UID,
    title="Log pipeline health",
    description="CloudWatch Logs subscriptions -> shipper Lambda -> OpenSearch Serverless, and its alarms.",
    tags=p.TAGS,
    panels=board.finish(),
    variables=p.PIPELINE_VARIABLES,
    annotations=p.annotations_for(board.owned),
    links=p.dashboard_links(),
)
