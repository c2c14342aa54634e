"""The health history: accepted, quarantined by rule and deferred sessions as of each night's report."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from curata.visual.sheet import png_bytes

TOTALS = ("accepted", "quarantined", "deferred")
TOTAL_COLORS = {"accepted": "#1e8c3c", "quarantined": "#be3232", "deferred": "#8c8c8c"}
MAX_RULES = 8  # the rest are drawn as "other rules"


def history_table(reports: Sequence[dict]) -> pd.DataFrame:
    """One row per night (the last report of each UTC day): the totals, then one column per rule."""
    rows = [
        {
            "night": r["generated_at"][:10],
            "generated_at": r["generated_at"],
            **{k: r["sessions"][k] for k in TOTALS},
            **r["sessions"]["quarantined_by_rule"],
        }
        for r in reports
    ]
    if not rows:
        return pd.DataFrame(columns=list(TOTALS), index=pd.Index([], name="night"))
    table = pd.DataFrame(rows).sort_values("generated_at").groupby("night").last().drop(columns="generated_at")
    return table.fillna(0).astype(int)


def history_figure(table: pd.DataFrame) -> Figure:
    """Totals as lines above, quarantine by rule as stacked bars below; nights on the shared x axis."""
    fig = Figure(figsize=(9, 6), dpi=80, layout="constrained")
    totals, by_rule = fig.subplots(2, 1, sharex=True)
    x = range(len(table))
    for name in TOTALS:
        totals.plot(x, table[name], marker="o", label=name, color=TOTAL_COLORS[name])
    totals.set_ylabel("sessions")
    totals.set_title("Session health as of each night")
    totals.legend(loc="upper left", fontsize="small")
    bottom = pd.Series(0, index=table.index)
    for rule, counts in _top_rules(table).items():
        by_rule.bar(x, counts, bottom=bottom, label=rule)
        bottom += counts
    by_rule.set_ylabel("quarantined, by rule")
    by_rule.set_xticks(list(x), list(table.index), rotation=45, ha="right")
    by_rule.set_xlim(-1, len(table))  # a single night stays a bar, not the whole width
    if len(bottom) and bottom.any():
        by_rule.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="x-small")
    return fig


def health_history_png(reports: Sequence[dict]) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(history_figure(history_table(reports))).print_png(buf)
    buf.seek(0)
    return png_bytes(Image.open(buf).convert("RGB"))  # re-encoded under the picture budget


def _top_rules(table: pd.DataFrame) -> pd.DataFrame:
    rules = table.drop(columns=list(TOTALS))
    ranked = rules.sum().sort_values(ascending=False).index
    top = rules[ranked[:MAX_RULES]]
    if len(ranked) > MAX_RULES:
        top = top.assign(**{"other rules": rules[ranked[MAX_RULES:]].sum(axis=1)})
    return top
