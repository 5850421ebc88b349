"""A dedupe run as one HTML page, for people who would rather look than read a summary.

:func:`render` gives the page; :meth:`DedupeResult.report` writes it. The page holds:

1. the run's summary: records, candidates per blocking rule, generic keys, the threshold
   and why, clusters by size;
2. a histogram of the match weights of the result's pairs, the threshold marked;
3. each comparison level's ``m``, ``u`` and weight, as a table and a bar chart;
4. the clusters' sizes, as a bar chart;
5. a sample of clusters (the :data:`LARGEST` largest and :data:`RANDOM` others of two or
   more records, drawn with a fixed seed), and for up to :data:`PAIRS` pairs of each its
   explanation (:meth:`DedupeResult.explain`) as a waterfall: the prior, then each
   comparison's weight, cumulative, ending at the pair's match weight, with the values
   compared.

The page is self-contained and makes no request: its style is inline, its charts are
PNGs in ``data:`` URIs (:mod:`.report_charts`), its waterfalls inline SVG, it has no
script, and its content security policy forbids fetching anything. Every value from the
data is escaped. The same result gives the same bytes: no timestamp, and everything in a
fixed order. Each waterfall step carries its weight and the cumulative weight as
``data-weight`` and ``data-cumulative``, the pair its ``data-match-weight``, so a test can
read back what the page shows.
"""

from __future__ import annotations

import base64
import html
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matching.dedupe.explain import ComparisonExplanation, Explanation
    from matching.dedupe.model import DedupeModel
    from matching.dedupe.report_charts import Chart
    from matching.dedupe.result import DedupeResult

LARGEST = 10
"""The largest clusters the sample shows."""
RANDOM = 10
"""Other clusters of two or more records the sample shows, drawn with :data:`SEED`."""
SEED = 0
PAIRS = 5
"""Pairs explained per sampled cluster: those in the result first, strongest first."""
MEMBERS = 30
"""Record ids listed per sampled cluster."""

POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The page's content security policy: nothing is fetched, no script runs."""

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; color: #263238; margin: 0 auto;
  max-width: 1100px; padding: 1em 2em 4em; }
h1 { margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #cfd8dc; padding-bottom: 0.2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; }
th, td { border-bottom: 1px solid #eceff1; padding: 0.2em 0.7em; text-align: left;
  vertical-align: top; }
th { background: #f5f7f8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre.summary { background: #f5f7f8; padding: 0.8em 1em; white-space: pre-wrap; }
img.chart { display: block; max-width: 100%; height: auto; margin: 0.5em 0 1em; }
.for { color: #2e7d32; } .against { color: #c62828; }
.cluster { border: 1px solid #cfd8dc; border-radius: 4px; padding: 0 1em 0.5em;
  margin: 1em 0; }
.pair { margin: 0.8em 0 1.4em; }
.values { font-family: ui-monospace, monospace; font-size: 12px; }
svg.waterfall { display: block; margin: 0.4em 0; }
svg.waterfall text { font: 12px system-ui, sans-serif; fill: #263238; }
.note { color: #546e7a; }
"""


def _e(value: object) -> str:
    """``value`` as HTML text (or an attribute's value): escaped, quotes included."""
    return html.escape(str(value), quote=True)


def _weight(weight: float) -> str:
    """A weight in bits, signed, and in colour: for a match or against."""
    kind = "for" if weight > 0 else "against" if weight < 0 else "zero"
    return f'<span class="{kind}">{weight:+.2f}</span>'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    """A table of already escaped cells; the columns in ``numeric`` align right."""

    def cells(tag: str, values: Sequence[str]) -> str:
        return "".join(
            f'<{tag} class="num">{v}</{tag}>' if i in numeric else f"<{tag}>{v}</{tag}>"
            for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    return f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>{body}</tbody></table>"


def _img(chart: Chart, kind: str) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<img class="chart" data-chart="{_e(kind)}" width="{chart.width}" '
        f'height="{chart.height}" alt="{_e(chart.alt)}" src="data:image/png;base64,{data}">'
    )


def threshold_weight(threshold: float) -> float:
    """The match weight of match probability ``threshold``: ``log2(t / (1 - t))``."""
    return math.log2(threshold / (1 - threshold))


def _sizes(result: DedupeResult) -> pd.Series:
    """Each cluster's number of records, by cluster id."""
    return result.clusters["cluster_id"].value_counts()


def _by_size(result: DedupeResult) -> list[tuple[int, int]]:
    """``(records in a cluster, clusters of that size)``, smallest first."""
    counts = _sizes(result).value_counts().sort_index()
    return [
        (int(size), int(count))
        for size, count in zip(counts.index.to_numpy(), counts.to_numpy(), strict=True)
    ]


def _summary(result: DedupeResult) -> str:
    sizes = _sizes(result)
    linked = int((result.pairs["match_probability"] >= result.threshold).sum())
    training = result.model.training
    model = (
        f"trained on {training.random_pairs:,} random pairs (u) and "
        f"{training.candidate_pairs:,} candidate pairs (m)"
        if training is not None
        else "untrained: the default m and u"
    )
    run = [
        ("Records", f"{result.records:,}"),
        ("Candidate pairs compared", f"{result.candidates:,}"),
        ("Pairs in this result", f"{len(result.pairs):,}"),
        ("Pairs at or above the threshold", f"{linked:,}"),
        (
            "Threshold",
            f"match probability {result.threshold:.4g}, "
            f"match weight {threshold_weight(result.threshold):+.2f} bits",
        ),
        ("Why this threshold", result.threshold_reason),
        ("Model", f"{model}; match rate {result.model.match_rate:.4g}"),
        ("Clusters", f"{len(sizes):,}, the largest of {int(sizes.max()) if len(sizes) else 0}"),
    ]
    rules = [
        (
            _e(rule.rule),
            f"{rule.pairs:,}",
            f"{rule.generic_keys:,}",
            f"{rule.generic_records:,}",
            _e(f"{rule.largest_generic[0]} ({rule.largest_generic[1]:,} records)")
            if rule.largest_generic
            else "",
        )
        for rule in result.rules
    ]
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<pre class="summary">{_e(result.summary())}</pre>'
        + "<table><tbody>"
        + "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in run)
        + "</tbody></table>"
        + "<h3>Candidates per blocking rule</h3>"
        + f'<p class="note">A key shared by more than {result.model.max_block_size:,} '
        "records is generic: it pairs no records on its own.</p>"
        + _table(
            ["rule", "candidate pairs", "generic keys", "their records", "largest generic key"],
            rules,
            {1, 2, 3},
        )
        + "<h3>Clusters by size</h3>"
        + _table(
            ["records in the cluster", "clusters", "records"],
            [(f"{size:,}", f"{count:,}", f"{size * count:,}") for size, count in _by_size(result)],
            {0, 1, 2},
        )
        + "</section>"
    )


def _weights(result: DedupeResult) -> str:
    from matching.dedupe.report_charts import weight_histogram

    weights = result.pairs["match_weight"].to_numpy(dtype=np.float64)
    head = (
        '<section id="weights"><h2>Match weights</h2>'
        f"<p>The match weights of the {len(weights):,} pairs in this result: the prior's weight "
        "plus each comparison's. The dashed line is the threshold, "
        f"{threshold_weight(result.threshold):+.2f} bits (match probability "
        f"{result.threshold:.4g}).</p>"
    )
    if not len(weights):
        return head + '<p class="note">This result holds no pairs.</p></section>'
    return head + _img(weight_histogram(weights, threshold_weight(result.threshold)), "weights")


def _levels(model: DedupeModel) -> list[tuple[str, str, int, float | None, float | None, float]]:
    """Every comparison level: comparison, label, level, ``m``, ``u``, weight; missing last."""
    rows: list[tuple[str, str, int, float | None, float | None, float]] = []
    for comparison in model.comparisons:
        weights = model.weights(comparison.name)
        m, u = model.m[comparison.name], model.u[comparison.name]
        for level, label in enumerate(comparison.labels):
            rows.append((comparison.name, label, level, m[level], u[level], float(weights[level])))
        rows.append((comparison.name, "missing", -1, None, None, 0.0))
    return rows


def _comparisons(model: DedupeModel) -> str:
    from matching.dedupe.report_charts import level_weight_chart

    levels = _levels(model)
    kinds = {c.name: c.kind.value for c in model.comparisons}
    rows = [
        (
            _e(name),
            _e(kinds[name]),
            str(level),
            _e(label),
            "" if m is None else f"{m:.4g}",
            "" if u is None else f"{u:.4g}",
            _weight(weight),
        )
        for name, label, level, m, u, weight in levels
    ]
    section = (
        '<section id="comparisons"><h2>Comparison levels</h2>'
        "<p>Each comparison gives a pair one level, 0 the strongest agreement. A level's "
        "weight is log2(m / u): m is how often it occurs between records of one person, u "
        "between records of different people. A missing value weighs 0. An exact agreement "
        "on a name, email or phone is weighed by how common the value is, not by the u "
        "shown here.</p>"
    )
    if not levels:
        return section + '<p class="note">The model has no comparisons.</p></section>'
    chart = level_weight_chart(
        [(name, label, w) for name, label, level, _, _, w in levels if level >= 0]
    )
    return (
        section
        + _table(["comparison", "kind", "level", "label", "m", "u", "weight"], rows, {2, 4, 5, 6})
        + _img(chart, "levels")
        + "</section>"
    )


def _cluster_sizes(result: DedupeResult) -> str:
    from matching.dedupe.report_charts import cluster_size_chart

    sizes = _by_size(result)
    section = (
        '<section id="clusters"><h2>Cluster sizes</h2>'
        "<p>How many clusters hold each number of records; a record linked to no other is a "
        "cluster of 1.</p>"
    )
    if not sizes:
        return section + '<p class="note">No clusters.</p></section>'
    return section + _img(cluster_size_chart(sizes), "sizes") + "</section>"


def sample(result: DedupeResult) -> list[tuple[str, int]]:
    """The sampled clusters' ids and sizes: the :data:`LARGEST` largest (ties by id), then
    :data:`RANDOM` other clusters of two or more records drawn with :data:`SEED`, by id."""
    sizes = _sizes(result)
    frame = pd.DataFrame({"cluster_id": sizes.index.astype(str), "size": sizes.to_numpy()})
    frame = frame[frame["size"] >= 2].sort_values(
        ["size", "cluster_id"], ascending=[False, True], kind="mergesort"
    )
    largest = frame.iloc[:LARGEST]
    rest = frame.iloc[LARGEST:].sort_values("cluster_id", kind="mergesort")
    drawn = np.random.default_rng(SEED).choice(len(rest), min(RANDOM, len(rest)), replace=False)
    chosen = pd.concat([largest, rest.iloc[np.sort(drawn)]])
    return [(str(c), int(s)) for c, s in zip(chosen["cluster_id"], chosen["size"], strict=True)]


def _cluster_pairs(members: Sequence[str], in_result: pd.DataFrame) -> Iterable[tuple[str, str]]:
    """Pairs of ``members``: those ``in_result`` (this cluster's rows of the result's
    pairs) strongest first, then every other pair by id."""
    ordered = in_result.sort_values(
        ["match_weight", "left_id", "right_id"], ascending=[False, True, True], kind="mergesort"
    )
    first = [(str(a), str(b)) for a, b in zip(ordered["left_id"], ordered["right_id"], strict=True)]
    seen = {frozenset(pair) for pair in first}
    rest = (p for p in itertools.combinations(members, 2) if frozenset(p) not in seen)
    return itertools.chain(first, rest)


def _values(values: Mapping[str, str | None], other: Mapping[str, str | None]) -> str:
    """The values a comparison read on one side, by column, where either side has one."""
    shown = [
        f"{_e(column)}: {'&ndash;' if value is None else _e(value)}"
        for column, value in values.items()
        if value is not None or other.get(column) is not None
    ]
    return "<br>".join(shown) or "&ndash;"


def waterfall(explanation: Explanation, threshold: float) -> str:
    """The explanation as inline SVG: one row per step (the prior, each comparison), a bar
    from the cumulative weight before it to after it, and the match weight's bar from 0."""
    steps: list[tuple[str, float]] = [("prior", explanation.prior_weight)]
    steps += [(f"{c.name}: {c.label}", c.weight) for c in explanation.comparisons]
    cumulative = list(itertools.accumulate(weight for _, weight in steps))
    marks = [0.0, threshold_weight(threshold), explanation.match_weight, *cumulative]
    low, high = min(marks), max(marks)
    left, width, right, row = 230, 420, 80, 22
    scale = width / ((high - low) or 1.0)

    def x(value: float) -> float:
        return left + (value - low) * scale

    parts = []
    before = 0.0
    for i, ((name, weight), after) in enumerate(zip(steps, cumulative, strict=True)):
        y = i * row
        start, end = sorted((x(before), x(after)))
        colour = "#2e7d32" if weight > 0 else "#c62828" if weight < 0 else "#90a4ae"
        parts.append(
            f'<g class="step" data-name="{_e(name)}" data-weight="{weight:.6f}" '
            f'data-cumulative="{after:.6f}"><title>{_e(name)}: {weight:+.2f} bits, '
            f"{after:+.2f} so far</title>"
            f'<text x="0" y="{y + 15}">{_e(name)}</text>'
            f'<rect x="{start:.1f}" y="{y + 4}" width="{max(end - start, 1):.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{left + width + right - 4}" y="{y + 15}" text-anchor="end">{weight:+.2f}</text>'
            "</g>"
        )
        before = after
    y = len(steps) * row
    total = explanation.match_weight
    start, end = sorted((x(0.0), x(total)))
    parts.append(
        f'<g class="total" data-match-weight="{total:.6f}"><title>match weight {total:+.2f} bits'
        f'</title><text x="0" y="{y + 15}" font-weight="bold">match weight</text>'
        f'<rect x="{start:.1f}" y="{y + 4}" width="{max(end - start, 1):.1f}" height="{row - 8}" '
        f'fill="#37474f"/><text x="{left + width + right - 4}" y="{y + 15}" text-anchor="end" '
        f'font-weight="bold">{total:+.2f}</text></g>'
    )
    height = (len(steps) + 1) * row
    threshold_x = x(threshold_weight(threshold))
    return (
        f'<svg class="waterfall" width="{left + width + right}" '
        f'height="{height}" viewBox="0 0 {left + width + right} {height}" role="img" '
        f'aria-label="Waterfall of the weights of {_e(explanation.left_id)} and '
        f'{_e(explanation.right_id)}">'
        f'<line x1="{x(0.0):.1f}" y1="0" x2="{x(0.0):.1f}" y2="{height}" stroke="#37474f"/>'
        f'<line x1="{threshold_x:.1f}" y1="0" x2="{threshold_x:.1f}" y2="{height}" '
        'stroke="#37474f" stroke-dasharray="4 3"><title>threshold</title></line>'
        + "".join(parts)
        + "</svg>"
    )


def _explained(explanation: Explanation, threshold: float) -> str:
    """One pair: its waterfall, then each step's values, m, u and weights as a table."""

    def row(c: ComparisonExplanation, cumulative: float) -> tuple[str, ...]:
        return (
            _e(c.name),
            _e(c.label) + (" (by the value's frequency)" if c.term_frequency else ""),
            _values(c.left, c.right),
            _values(c.right, c.left),
            "" if c.m is None else f"{c.m:.4g}",
            "" if c.u is None else f"{c.u:.4g}",
            _weight(c.weight),
            f"{cumulative:+.2f}",
        )

    cumulative = list(
        itertools.accumulate(
            [explanation.prior_weight, *(c.weight for c in explanation.comparisons)]
        )
    )
    rows: list[tuple[str, ...]] = [
        ("prior", "", "", "", "", "", _weight(explanation.prior_weight), f"{cumulative[0]:+.2f}")
    ]
    rows += [
        row(c, total) for c, total in zip(explanation.comparisons, cumulative[1:], strict=True)
    ]
    a, b = _e(explanation.left_id), _e(explanation.right_id)
    side = "at or above" if explanation.match_probability >= threshold else "below"
    return (
        f'<div class="pair" data-left-id="{a}" data-right-id="{b}" '
        f'data-match-weight="{explanation.match_weight:.6f}">'
        f"<h4>{a} and {b}: match weight {explanation.match_weight:+.2f} bits, probability "
        f"{explanation.match_probability:.4f} ({side} the threshold)</h4>"
        + waterfall(explanation, threshold)
        + '<div class="values">'
        + _table(
            ["step", "level", a, b, "m", "u", "weight", "cumulative"],
            rows,
            {4, 5, 6, 7},
        )
        + "</div></div>"
    )


def _sample(result: DedupeResult) -> str:
    chosen = sample(result)
    section = (
        '<section id="sample"><h2>A sample of clusters</h2>'
        f"<p>The {LARGEST} largest clusters and {RANDOM} others of two or more records drawn "
        f"at random (seed {SEED}), and for up to {PAIRS} pairs of each why they scored what "
        "they did: the prior, then each comparison's weight, adding up to the match weight. "
        "Values are as compared, normalised.</p>"
    )
    if not chosen:
        return section + '<p class="note">No cluster holds two or more records.</p></section>'
    ids = [cluster for cluster, _ in chosen]
    cluster_of = result.clusters["cluster_id"].astype(str)
    cluster_of.index = cluster_of.index.astype(str)
    sampled = cluster_of[cluster_of.isin(ids)]
    members = {c: sorted(group.index) for c, group in sampled.groupby(sampled)}
    left = cluster_of.reindex(result.pairs["left_id"].astype(str)).to_numpy()
    right = cluster_of.reindex(result.pairs["right_id"].astype(str)).to_numpy()
    keep = (left == right) & np.isin(left, ids)
    inside = result.pairs[keep].assign(cluster=left[keep])
    parts = [section]
    for cluster, size in chosen:
        listed = members[cluster][:MEMBERS]
        more = f" and {size - len(listed):,} more" if size > len(listed) else ""
        total = size * (size - 1) // 2
        in_result = inside[inside["cluster"] == cluster]
        parts.append(
            f'<div class="cluster" data-cluster-id="{_e(cluster)}" data-size="{size}">'
            f"<h3>Cluster {_e(cluster)}: {size:,} records</h3>"
            f"<p>Records: {', '.join(_e(m) for m in listed)}{more}. "
            f"Pairs in this result: {len(in_result):,} of {total:,}"
            + (f"; the first {PAIRS} are explained." if total > PAIRS else ".")
            + "</p>"
        )
        if result.prepared is None:
            parts.append('<p class="note">This result cannot explain its pairs.</p></div>')
            continue
        for a, b in itertools.islice(_cluster_pairs(members[cluster], in_result), PAIRS):
            parts.append(_explained(result.explain(a, b), result.threshold))
        parts.append("</div>")
    return "".join(parts) + "</section>"


def render(result: DedupeResult) -> str:
    """The report of ``result`` as one self-contained HTML page."""
    nav = "".join(
        f'<a href="#{anchor}">{title}</a>'
        for anchor, title in (
            ("summary", "Summary"),
            ("weights", "Match weights"),
            ("comparisons", "Comparison levels"),
            ("clusters", "Cluster sizes"),
            ("sample", "A sample of clusters"),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Dedupe report: {result.records:,} records</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>Dedupe report</h1><p>{result.records:,} records, {len(result.pairs):,} pairs, "
        f"{result.clusters['cluster_id'].nunique():,} clusters.</p><nav>{nav}</nav>"
        + _summary(result)
        + _weights(result)
        + _comparisons(result.model)
        + _cluster_sizes(result)
        + _sample(result)
        + "</body></html>\n"
    )
