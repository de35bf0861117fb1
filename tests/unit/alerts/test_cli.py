"""``obsctl alerts``: render, list, sample and backtest through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.render import render_files
from obsctl.cli import main

SPEC = {
    "name": "errors-spec", "namespace": "Test", "metric_name": "Errors", "dimensions": {"FunctionName": "f"},
    "statistic": "Sum", "period": 60, "evaluation_periods": 3, "datapoints_to_alarm": 2, "threshold": 5,
    "comparison": "GreaterThanThreshold", "treat_missing_data": "notBreaching",
}  # fmt: skip


def _series(values):
    return [{"timestamp": f"2026-01-01T00:{i:02d}:30Z", "value": v} for i, v in enumerate(values)]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_render_writes_then_check_passes(tmp_path, capsys):
    code, out, _ = _run(capsys, "alerts", "render", "--root", str(tmp_path))
    assert code == 0 and "written" in out
    for relative, content in render_files().items():
        assert (tmp_path / relative).read_text() == content
    assert _run(capsys, "alerts", "render", "--root", str(tmp_path), "--check")[0] == 0
    (tmp_path / "alerts/rendered/grafana-alert-rules.json").write_text("{}\n")
    code, out, _ = _run(capsys, "alerts", "render", "--root", str(tmp_path), "--check")
    assert code == 1 and "differs" in out


def test_backtest_spec_with_json_series_reports_false_alarms(tmp_path, capsys):
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    (tmp_path / "s.json").write_text(json.dumps(_series([0, 9, 9, 0, None, 0])))
    code, out, _ = _run(
        capsys,
        "alerts",
        "backtest",
        "--spec",
        str(tmp_path / "spec.json"),
        "--series",
        str(tmp_path / "s.json"),
        "--expect",
        "normal",
    )
    document = json.loads(out)
    assert code == 0
    # The missing minute does not count: the most recent real datapoints (9, 9, 0) keep it in ALARM
    # until the good ones outnumber them at 00:06.
    assert [(t["timestamp"], t["state"]) for t in document["transitions"]] == [
        ("2026-01-01T00:01:00Z", "OK"), ("2026-01-01T00:03:00Z", "ALARM"), ("2026-01-01T00:06:00Z", "OK")
    ]  # fmt: skip
    assert document["final_state"] == "OK" and document["false_alarms"] == 1


def test_backtest_catalog_math_alarm_with_incident_and_plot(tmp_path, capsys):
    series = {"errors": _series([0, 0, 5, 6, 7, 8]), "requests": _series([50] * 6)}
    (tmp_path / "rate.json").write_text(json.dumps(series))
    code, out, _ = _run(
        capsys, "alerts", "backtest", "--alarm", "api-5xx-rate", "--series", str(tmp_path / "rate.json"),
        "--expect", "incident", "--incident-start", "2026-01-01T00:02:00Z", "--plot", str(tmp_path / "p.png"),
    )  # fmt: skip
    document = json.loads(out)
    assert code == 0 and document["detected"] is True
    assert document["detection_delay_seconds"] == 180
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_csv_with_empty_values(tmp_path, capsys):
    (tmp_path / "spec.json").write_text(json.dumps(SPEC | {"treat_missing_data": "breaching"}))
    rows = ["timestamp,value"] + [f"2026-01-01T00:0{i}:00Z,{v}" for i, v in enumerate(["1", "", "", "", "2"])]
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    code, out, _ = _run(
        capsys,
        "alerts",
        "backtest",
        "--spec",
        str(tmp_path / "spec.json"),
        "--series",
        str(tmp_path / "s.csv"),
    )
    assert code == 0
    assert "ALARM" in [t["state"] for t in json.loads(out)["transitions"]]


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"s.json": "[]"}, ["--alarm", "nope"], "no alarm named 'nope'"),
        ({"s.json": "[]"}, ["--alarm", "api-incident"], "composite alarm"),
        ({"s.json": "{bad"}, ["--alarm", "function-throttles"], "not JSON"),
        ({"s.json": '[{"timestamp": "2026-01-01T00:00:00", "value": 1}]'}, ["--alarm", "function-throttles"],
         "no time zone"),
        ({"s.json": '[{"timestamp": "2026-01-01T00:00:00Z", "value": "x"}]'},
         ["--alarm", "function-throttles"], "is not a number"),
        ({"s.json": "[]"}, ["--alarm", "function-throttles"], "series is empty"),
        ({"s.json": '[{"timestamp": "2026-01-01T00:00:00Z", "value": 1}]'}, ["--alarm", "api-5xx-rate"],
         "metric math over"),
        ({"s.json": "[]", "spec.json": '{"name": "x"}'}, ["--spec", "SPEC"], "missing field"),
        ({"s.json": "[]"}, ["--alarm", "function-throttles", "--expect", "incident"], "--incident-start"),
    ],
)  # fmt: skip
def test_bad_input_is_a_one_line_error(tmp_path, capsys, files, args, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    args = [str(tmp_path / "spec.json") if a == "SPEC" else a for a in args]
    code, out, err = _run(capsys, "alerts", "backtest", *args, "--series", str(tmp_path / "s.json"))
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_sample_then_backtest_roundtrip(tmp_path, capsys):
    out_file = tmp_path / "week.json"
    assert _run(capsys, "alerts", "sample", "--alarm", "shipper-errors", "--incident", "shipper-outage",
                "--out", str(out_file))[0] == 0  # fmt: skip
    code, out, _ = _run(
        capsys, "alerts", "backtest", "--alarm", "shipper-errors", "--series", str(out_file), "--expect",
        "incident", "--incident-start", "2026-01-01T02:30:00Z",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["detected"] is True


def test_list_and_help(capsys):
    code, out, _ = _run(capsys, "alerts", "list", "--json")
    assert code == 0 and {row["name"] for row in json.loads(out)} >= {"api-incident", "api-5xx-rate"}
    with pytest.raises(SystemExit):
        main(["alerts", "backtest", "--help"])
    assert "CloudWatch" in capsys.readouterr().out


def test_notification_prints_a_valid_custom_notification(capsys):
    from alerts.notify import validate_notification

    code, out, _ = _run(capsys, "alerts", "notification", "--alarm", "shipper-errors", "--value", "3")
    message = validate_notification(out)
    assert code == 0 and message["metadata"]["threadId"] == "obs-platform-shipper-errors"
    assert _run(capsys, "alerts", "notification", "--alarm", "nope")[0] == 2


def test_notification_is_the_notifiers_message(capsys):
    # The CLI runs the notifier's formatter (one formatter): its nextSteps are the routing table's,
    # and an alarm the notifier does not post says so instead of printing a message chat never gets
    code, out, _ = _run(
        capsys, "alerts", "notification", "--alarm", "api-5xx-rate", "--name-prefix", "prod-obs",
        "--opensearch-search-url", "http://127.0.0.1:9200",
    )  # fmt: skip
    message = json.loads(out)
    assert code == 0 and message["metadata"]["eventType"] == "CloudWatchAlarmStateChange"
    assert message["content"]["title"] == ":rotating_light: [ticket] prod-obs-api-5xx-rate is ALARM"
    assert message["content"]["nextSteps"][2].startswith(
        "Matching logs in OpenSearch: http://127.0.0.1:9200/logs-access-*/_search?q="
    )
    code, _, err = _run(capsys, "alerts", "notification", "--alarm", "api-availability-fast-long")
    assert code == 2 and "does not post" in err


def test_recorded_spec_and_csv_series_from_tests_events(capsys):
    events = Path(__file__).resolve().parents[3] / "tests" / "events"
    code, out, _ = _run(
        capsys, "alerts", "backtest", "--spec", str(events / "backtest_spec_shipper_errors.json"),
        "--series", str(events / "backtest_series_shipper_errors.csv"),
        "--expect", "incident", "--incident-start", "2026-01-01T00:20:00Z",
    )  # fmt: skip
    document = json.loads(out)
    assert code == 0
    # Sliding window (CloudWatch's default): evaluated every minute over the two 5-minute periods
    # ending then; both hold errors first at 00:26 (00:16-00:21 and 00:21-00:26). A wall clock window
    # would wait for the end of 00:25-00:30 (600 s).
    assert document["detection_delay_seconds"] == 360
    assert [t["state"] for t in document["transitions"]] == ["OK", "ALARM", "OK"]


@pytest.mark.parametrize("window", ["SlidingWindow", "WallClockWindow"])
def test_backtest_spec_takes_any_cloudwatch_alarm_name_and_an_evaluation_window(tmp_path, capsys, window):
    # Given a spec named the way a team names alarms in the console, 5-minute periods
    spec = SPEC | {"name": "Prod API 5XX_errors.v2 (eu-west-1)", "period": 300, "evaluation_periods": 1,
                   "datapoints_to_alarm": 1, "evaluation_window": window}  # fmt: skip
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    # and 8 errors from 00:03 to 00:06, split 4 + 4 across the 00:00 and 00:05 periods (threshold 5)
    points = [
        {"timestamp": f"2026-01-01T00:{m:02d}:00Z", "value": 2 if 3 <= m <= 6 else 0} for m in range(20)
    ]
    (tmp_path / "s.json").write_text(json.dumps(points))
    code, out, _ = _run(capsys, "alerts", "backtest", "--spec", str(tmp_path / "spec.json"),
                        "--series", str(tmp_path / "s.json"))  # fmt: skip
    document = json.loads(out)
    assert code == 0 and document["alarm"] == spec["name"]
    # Then only the sliding window (CloudWatch's default) sees more than 5 in one 5-minute window
    fired = [t for t in document["transitions"] if t["state"] == "ALARM"]
    assert bool(fired) == (window == "SlidingWindow")
