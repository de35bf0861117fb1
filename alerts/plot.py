"""Draw a backtest: the alarm's datapoints, its threshold and the alarm state as coloured bands."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alerts.engine import Datapoints, Result
from alerts.model import AnyMetricAlarm

_COLOURS = {"ALARM": "#d62728", "OK": "#2ca02c", "INSUFFICIENT_DATA": "#bbbbbb"}


def plot(alarm: AnyMetricAlarm, result: Result, datapoints: Datapoints, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import date2num

    def when(ts: float) -> float:
        return float(date2num(datetime.fromtimestamp(ts, UTC)))  # type: ignore[no-untyped-call]

    figure, axes = plt.subplots(figsize=(11, 4))
    times = sorted(datapoints)
    axes.plot([when(t) for t in times], [datapoints[t] for t in times], marker=".", lw=1, label="datapoints")
    axes.axhline(alarm.threshold, color="black", ls="--", lw=1, label=f"threshold {alarm.threshold:g}")
    edges = [(t.timestamp, t.state) for t in result.transitions]
    end = max(result.evaluated_until, times[-1] + alarm.period if times else 0)
    start = min([times[0]] if times else [end])
    state_spans = [(start, "INSUFFICIENT_DATA"), *edges]
    for (begin, state), (finish, _) in zip(state_spans, [*state_spans[1:], (end, "")], strict=True):
        if finish > begin:
            axes.axvspan(when(begin), when(finish), color=_COLOURS[state], alpha=0.15, lw=0)
    for label, colour in _COLOURS.items():
        axes.fill_between([], [], color=colour, alpha=0.3, label=label)
    axes.set_title(f"{alarm.name}: final state {result.final_state}")
    axes.legend(loc="upper left", fontsize="small")
    axes.xaxis_date()
    figure.autofmt_xdate()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return out
