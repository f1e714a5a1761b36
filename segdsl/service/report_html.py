"""A Report as one self-contained HTML page (`segdsl report --html`).

Charts are plotly figures (bar charts of segment sizes and measure shares,
a heat map for the cross-tab), written by plotly itself: its JavaScript
bundle is inlined once (`include_plotlyjs=True`), styles are inline and the
fonts are the reader's own, so the page opens with no network at all (a
mailed report, an air-gapped laptop). Drawing SVG by hand would repeat what
a charting library does well (axes, hover values, resizing). Every text from
the rule file or the data is escaped; plotly serialises figure data as JSON.
"""
from __future__ import annotations

import html

from .diff import Diff, DimensionMoves
from .report import Crosstab, DimensionSizes, Report

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Zen Hei", sans-serif;
       margin: 2rem; color: #1d2733; background: #fff; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2.2rem; border-bottom: 1px solid #dde3ea; padding-bottom: .3rem; }
p.meta { color: #5b6b7c; margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #eef1f4; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
th { background: #f5f7fa; }
.chart { max-width: 1000px; }
"""

COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"]


def page(r: Report) -> str:
    """The whole page."""
    title = f"{r.ruleset}" + (f" {r.label}" if r.label else "")
    body = [f"<h1>{_e(title)}</h1>",
            f'<p class="meta">{r.customers:,} customers · {_e(r.engine)} engine</p>']
    first = True
    for d in r.dimensions:
        body.append(f"<h2>{_e(_named(d.name, d.label))} <small>({_e(d.policy)})</small></h2>")
        body.append(_table(r, d))
        body.append(_chart(_sizes(r, d), first))
        first = False
    if r.crosstab is not None:
        c = r.crosstab
        body.append(f"<h2>{_e(c.rows)} × {_e(c.columns)}</h2>")
        body.append(_chart(_heat(r, c), first))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _chart(fig, first: bool) -> str:
    import plotly.io as pio
    div = pio.to_html(fig, full_html=False, include_plotlyjs=True if first else False,
                      config={"displaylogo": False, "responsive": True})
    return f'<div class="chart">{div}</div>'


def _sizes(r: Report, d: DimensionSizes):
    """Share of customers beside each measure's share, one bar group per segment."""
    import plotly.graph_objects as go
    names = [_named(s.name, s.label) for s in d.segments]
    fig = go.Figure()
    fig.add_bar(name="customers", y=names, x=[s.share for s in d.segments], orientation="h",
                marker_color=COLOURS[0], text=[f"{s.share:.1%}" for s in d.segments],
                customdata=[s.customers for s in d.segments],
                hovertemplate="%{y}: %{customdata:,} customers (%{x:.1%})<extra></extra>")
    for i, m in enumerate(r.measures, start=1):
        shares = [dict(s.measures)[m.name].share for s in d.segments]
        fig.add_bar(name=_named(m.name, m.label), y=names, x=shares, orientation="h",
                    marker_color=COLOURS[i % len(COLOURS)],
                    text=["" if x is None else f"{x:.1%}" for x in shares],
                    hovertemplate="%{y}: %{x:.1%}<extra>" + _e(m.name) + "</extra>")
    fig.update_layout(barmode="group", height=140 + 46 * len(names) * max(1, (1 + len(r.measures)) // 2),
                      margin=dict(l=10, r=10, t=60, b=30), xaxis=dict(tickformat=".0%", title="share"),
                      yaxis=dict(autorange="reversed"), legend=dict(orientation="h", y=1.02, yanchor="bottom"),
                      template="plotly_white")
    return fig


def _heat(r: Report, c: Crosstab):
    import plotly.graph_objects as go
    fig = go.Figure(go.Heatmap(
        z=[list(row) for row in c.counts], x=[_named(n, lab) for n, lab in c.column_segments],
        y=[_named(n, lab) for n, lab in c.row_segments], colorscale="Reds",
        text=[[f"{n:,}" for n in row] for row in c.counts], texttemplate="%{text}",
        hovertemplate="%{y} × %{x}: %{z:,} customers<extra></extra>"))
    fig.update_layout(height=160 + 44 * len(c.row_segments), margin=dict(l=10, r=10, t=30, b=30),
                      yaxis=dict(autorange="reversed"), template="plotly_white")
    return fig


def _table(r: Report, d: DimensionSizes) -> str:
    head = ["segment", "label", "customers", "share"]
    for m in r.measures:
        head += [f"{_named(m.name, m.label)} share", "mean", "median"]
    rows = []
    for s in d.segments:
        cells = [s.name if s.name is not None else "(none)", s.label or "", f"{s.customers:,}", f"{s.share:.1%}"]
        for _, m in s.measures:
            cells += ["" if m.share is None else f"{m.share:.1%}", _num(m.mean), _num(m.median)]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return ("<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"
            + "".join(rows) + "</table>")


def diff_page(d: Diff) -> str:
    """`segdsl diff --format html`: the changes, then a transition heat map per dimension."""
    title = f"{d.old} → {d.new}"
    body = [f"<h1>{_e(title)}</h1>", f'<p class="meta">{len(d.changes)} changes in the rules'
            + (f" · {d.customers:,} customers" if d.customers is not None else "") + "</p>"]
    if d.changes:
        rows = "".join("<tr>" + "".join(f"<td>{_e(x if x is not None else '—')}</td>"
                                        for x in (c.kind, c.where, c.what, c.old, c.new)) + "</tr>"
                       for c in d.changes)
        body.append("<table><tr><th>change</th><th>where</th><th>what</th><th>old</th><th>new</th></tr>"
                    + rows + "</table>")
    first = True
    for m in d.dimensions:
        body.append(f"<h2>{_e(_named(m.name, m.label))}: {m.moved:,} of {m.customers:,} moved "
                    f"({m.share:.1%})</h2>")
        body.append(_chart(_transitions(m), first))
        first = False
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _transitions(m: DimensionMoves):
    import plotly.graph_objects as go
    shown = lambda v: "(none)" if v is None else "[" + ", ".join(v) + "]" if isinstance(v, tuple) else str(v)  # noqa: E731
    olds = list(dict.fromkeys(shown(t.old) for t in m.transitions))
    news = list(dict.fromkeys(shown(t.new) for t in m.transitions))
    z = [[0] * len(news) for _ in olds]
    for t in m.transitions:
        z[olds.index(shown(t.old))][news.index(shown(t.new))] = t.customers
    fig = go.Figure(go.Heatmap(z=z, x=news, y=olds, colorscale="Blues", text=[[f"{n:,}" for n in r] for r in z],
                               texttemplate="%{text}",
                               hovertemplate="%{y} → %{x}: %{z:,} customers<extra></extra>"))
    fig.update_layout(height=160 + 40 * len(olds), margin=dict(l=10, r=10, t=30, b=30),
                      xaxis=dict(title="new"), yaxis=dict(title="old", autorange="reversed"), template="plotly_white")
    return fig


def _named(name, label) -> str:
    shown = name if name is not None else "(none)"
    return f"{shown} {label}" if label else str(shown)


def _num(x) -> str:
    return "" if x is None else f"{x:,.2f}"


def _e(s) -> str:
    return html.escape(str(s))
