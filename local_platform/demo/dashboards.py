"""``make demo`` step: render the dashboards into build/demo/dashboards, publish when Grafana is set.

Publishing needs a Grafana (there is none locally): with ``GRAFANA_URL`` and ``GRAFANA_TOKEN`` set,
the dashboards, both data sources (the OpenSearch one pointing at the demo's node, unsigned) and,
when every deployment value is known, the Grafana alert rules are published to it.
"""

from __future__ import annotations

import os

from local_platform.demo.context import DemoContext

__all__ = ["TOKEN_ENV", "URL_ENV", "local_bindings", "run"]

URL_ENV = "GRAFANA_URL"
TOKEN_ENV = "GRAFANA_TOKEN"  # noqa: S105 - a variable name


def local_bindings(ctx: DemoContext) -> dict[str, str]:
    """Values of the alert rules' ``${OBS_*}`` placeholders for the local stack (env overrides)."""
    from alerts.notify import LinkContext

    names = ctx.names
    bindings = {
        "OBS_FUNCTION_NAME": names.function_name,
        "OBS_SHIPPER_FUNCTION_NAME": names.shipper_function_name,
        "OBS_API_ID": names.api_id,
        "OBS_API_STAGE": names.stage,
        "OBS_FUNCTION_LOG_GROUP_NAME": names.function_log_group,
        "OBS_ACCESS_LOG_GROUP_NAME": names.access_log_group,
        "OBS_SHIPPER_LOG_GROUP_NAME": names.shipper_log_group,
        "OBS_ALARM_TOPIC_ARN": names.alarm_topic_arn,
        "OBS_REGION": names.region,
        # The notification links and chat thread (alerts/grafana.py), as the alerts demo step has them.
        "OBS_NAME_PREFIX": names.prefix,
        "OBS_OPENSEARCH_DASHBOARDS_URL": ctx.opensearch_url or LinkContext.opensearch_dashboards_url,
    }
    bindings.update({k: v for k, v in os.environ.items() if k.startswith("OBS_") and v})
    return bindings


def run(ctx: DemoContext) -> None:
    from dashboards import publish, render
    from dashboards.grafana_api import GrafanaClient, GrafanaError

    out_dir = ctx.out_dir / "dashboards"
    written = render.write(out_dir)
    ctx.summary["dashboards_written"] = len(written)
    ctx.say(f"dashboards: wrote {len(written)} dashboards to {out_dir}")

    url, token = os.environ.get(URL_ENV), os.environ.get(TOKEN_ENV)
    if not (url and token):
        ctx.say(f"dashboards: set {URL_ENV} and {TOKEN_ENV} to publish them to a Grafana")
        return
    target = publish.Target(
        region=ctx.names.region, opensearch_url=ctx.opensearch_url, opensearch_auth="none"
    )
    rules_file = render.DASHBOARD_DIR.parent / publish.ALERT_RULES_FILE
    alerting = None
    try:
        alerting = publish.load_alerting(rules_file, local_bindings(ctx))
    except GrafanaError as exc:
        ctx.say(f"dashboards: publishing without alert rules: {exc}")
    changes = publish.Publisher(GrafanaClient(url, token), target).publish(render.models(), alerting)
    written_changes = [c for c in changes if c.action != publish.UNCHANGED]
    ctx.summary["dashboards_published"] = sum(c.kind == "dashboard" for c in changes)
    ctx.summary["grafana_changes"] = len(written_changes)
    ctx.say(f"dashboards: published to {url} ({len(written_changes)} changes)")
