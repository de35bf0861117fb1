"""Rendering: every dashboard renders, deterministically, to the committed JSON, and holds together.

"Holds together" means what Grafana would otherwise only show on screen: panel ids unique and
stable, panels on the 24-column grid without overlap, every query on one of our two data sources,
every ``$variable`` defined, every link pointing at a dashboard that exists with the variables it sets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from alerts.model import Var
from dashboards import inventory, panels, render
from dashboards.model import CLOUDWATCH, OPENSEARCH, SCHEMA_VERSION, InsightsQuery, layout
from signals import metrics as M

ROOT = Path(__file__).resolve().parents[3]
OUR_SOURCES = (
    {"type": CLOUDWATCH.type, "uid": CLOUDWATCH.uid},
    {"type": OPENSEARCH.type, "uid": OPENSEARCH.uid},
)


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return render.render_files()


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return render.models()


def test_four_dashboards_render_to_the_committed_files(files: dict[str, str]) -> None:
    assert sorted(files) == [
        "dashboards/rendered/api_overview.json",
        "dashboards/rendered/log_pipeline.json",
        "dashboards/rendered/logs.json",
        "dashboards/rendered/slos.json",
    ]
    stale = [rel for rel, content in files.items() if (ROOT / rel).read_text(encoding="utf-8") != content]
    assert stale == [], "run `make render` (or obsctl dashboards render) and commit the result"


def test_rendering_is_deterministic_and_canonical(files: dict[str, str]) -> None:
    assert render.render_files() == files
    for rel, content in files.items():
        assert content.endswith("}\n"), rel
        assert content == json.dumps(json.loads(content), sort_keys=True, indent=2) + "\n", rel


def test_dashboards_use_the_current_schema_and_unique_uids(models: dict[str, dict[str, Any]]) -> None:
    assert sorted(models) == sorted([panels.API_UID, panels.PIPELINE_UID, panels.LOGS_UID, panels.SLO_UID])
    for model in models.values():
        assert model["schemaVersion"] == SCHEMA_VERSION
        assert "rows" not in model  # grafanalib's pre-5.0 layout
        assert model["tags"] == list(panels.TAGS)


def test_panel_ids_are_sequential_and_panels_tile_the_grid(models: dict[str, dict[str, Any]]) -> None:
    for uid, model in models.items():
        ids = [p["id"] for p in model["panels"]]
        assert ids == list(range(1, len(ids) + 1)), uid
        taken: set[tuple[int, int]] = set()
        for panel in model["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, (uid, panel["title"])
            cells = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not cells & taken, f"{uid}: {panel['title']} overlaps another panel"
            taken |= cells


def test_every_query_uses_one_of_our_data_sources(models: dict[str, dict[str, Any]]) -> None:
    count = 0
    for model in models.values():
        for panel, target in inventory.targets(model):
            count += 1
            assert target["datasource"] in OUR_SOURCES, panel["title"]
            assert panel["datasource"] == target["datasource"], panel["title"]
            if target["datasource"]["type"] == "cloudwatch":
                assert target["region"] == "$region"
                assert target["queryMode"] == "Metrics"
    assert count > 80


def test_every_variable_a_query_uses_is_defined(models: dict[str, dict[str, Any]]) -> None:
    for uid, model in models.items():
        defined = {v["name"] for v in model["templating"]["list"]}
        used = inventory.variables_used(model)
        assert set(used) <= defined, f"{uid}: undefined {sorted(set(used) - defined)}"


def test_every_link_opens_an_existing_dashboard_with_its_variables(models: dict[str, dict[str, Any]]) -> None:
    link_count = 0
    for uid, model in models.items():
        for where, url in inventory.links(model):
            link_count += 1
            match = re.fullmatch(
                r"/d/(?P<uid>[\w-]+)/[\w-]+\?\$\{__url_time_range\}(?P<vars>(&var-\w+=[^&]+)*)", url
            )
            assert match, f"{uid}/{where}: {url}"
            target = models[match["uid"]]
            names = {v["name"] for v in target["templating"]["list"]}
            for name in re.findall(r"&var-(\w+)=", match["vars"]):
                assert name in names, f"{uid}/{where}: {match['uid']} has no variable {name}"
    assert link_count > 20


def test_every_metric_panel_links_to_the_logs_of_its_function(models: dict[str, dict[str, Any]]) -> None:
    for uid in (panels.API_UID, panels.PIPELINE_UID):
        for panel in inventory.panels(models[uid]):
            if panel["type"] == "timeseries" and not panel["title"].startswith(
                ("Alarm ", "Delivery errors of every")
            ):
                urls = [link["url"] for link in panel["fieldConfig"]["defaults"]["links"]]
                assert any(f"/d/{panels.LOGS_UID}/" in url for url in urls), f"{uid}: {panel['title']}"


def test_every_logs_panel_is_filtered_by_request_and_trace_id(models: dict[str, dict[str, Any]]) -> None:
    targets = list(inventory.targets(models[panels.LOGS_UID]))
    assert len(targets) >= 8
    for panel, target in targets:
        assert "${request_id}*" in target["query"] and "${trace_id}*" in target["query"], panel["title"]


def test_every_catalog_dimension_placeholder_has_a_dashboard_binding() -> None:
    assert set(panels.VAR_TEMPLATE) == set(Var)


def test_metrics_insights_queries_are_built_from_parts() -> None:
    query = InsightsQuery(
        refId="A",
        namespace=M.LOGS_NAMESPACE,
        metricName=M.LOGS_DELIVERY_ERRORS,
        schema=(M.LOGS_DIM_DESTINATION, M.LOGS_DIM_FILTER, M.LOGS_DIM_LOG_GROUP),
        group_by=(M.LOGS_DIM_LOG_GROUP,),
        order_limit=5,
    )
    assert query.sql == (
        'SELECT SUM(DeliveryErrors) FROM SCHEMA("AWS/Logs", DestinationType, FilterName, LogGroupName) '
        "GROUP BY LogGroupName ORDER BY SUM() DESC LIMIT 5"
    )
    assert query.to_json_data()["metricQueryType"] == 1


def test_a_row_wider_than_the_grid_is_refused() -> None:
    panel = panels.text("t", "x")
    with pytest.raises(ValueError, match="25 columns wide"):
        layout([[(panel, 12), (panel, 13)]])


def test_a_definition_without_a_dashboard_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.dashboard.py"
    broken.write_text("title = 'no dashboard here'\n")
    with pytest.raises(
        render.RenderError, match=r"broken\.dashboard\.py does not define a variable named 'dashboard'"
    ):
        render.load(broken)
