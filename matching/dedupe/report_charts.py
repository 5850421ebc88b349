"""The dedupe report's charts: matplotlib figures drawn by the Agg backend into PNG bytes.

Each chart is a :class:`Chart`, the PNG and its size, which :mod:`matching.dedupe.report`
embeds as a ``data:`` URI. matplotlib is imported inside the functions, so importing
:mod:`matching` never loads it. The figures are built without pyplot (no global figure
state), under a fixed style (:data:`STYLE`, matplotlib's own DejaVu Sans font) and saved without the ``Software`` metadata, so the same data gives the same
bytes.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FOR = "#2e7d32"
"""Evidence for a match (a positive weight), and pairs at or above the threshold."""
AGAINST = "#c62828"
"""Evidence against a match (a negative weight)."""
BELOW = "#90a4ae"
"""Pairs below the threshold."""
INK = "#37474f"
"""Lines and text."""

DPI = 144
"""Pixels per inch of the PNGs; the page shows them at 96 (CSS pixels), so they stay sharp
on high-density screens."""

# Any: matplotlib types the keys as a Literal of every rc setting's name.
STYLE: dict[Any, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
}
"""matplotlib settings every chart is drawn with, whatever the user's matplotlibrc says."""


@attrs.frozen
class Chart:
    """One chart: a PNG and how large the page shows it (CSS pixels)."""

    png: bytes
    width: int
    height: int
    alt: str
    """What the chart shows, in words."""


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    """A figure of ``width`` x ``height`` inches on an Agg canvas, drawn under :data:`STYLE`."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with mpl.rc_context(STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        yield figure


def _chart(figure: Figure, alt: str) -> Chart:
    """``figure`` as PNG bytes, shown at 96 pixels per inch."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk's, in pixels
    return Chart(png, round(width * 96 / DPI), round(height * 96 / DPI), alt)


def weight_histogram(weights: npt.NDArray[np.float64], threshold_weight: float) -> Chart:
    """How many pairs scored each match weight, those at or above the threshold's weight
    in :data:`FOR`, and a dashed line at the threshold."""
    low = math.floor(min(float(weights.min(initial=threshold_weight)), threshold_weight))
    high = math.ceil(max(float(weights.max(initial=threshold_weight)), threshold_weight))
    if high - low < 2:
        low, high = low - 1, high + 1
    bins = np.linspace(low, high, min(60, max(10, 2 * (high - low))) + 1)
    above = weights >= threshold_weight
    with _figure(8, 3.2) as figure:
        axes = figure.subplots()
        axes.hist(
            [weights[~above], weights[above]],
            bins=bins.tolist(),
            stacked=True,
            color=[BELOW, FOR],
            label=[
                f"below the threshold ({int((~above).sum()):,})",
                f"at or above it ({int(above.sum()):,})",
            ],
        )
        axes.axvline(threshold_weight, color=INK, linestyle="--", linewidth=1)
        axes.annotate(
            f"threshold {threshold_weight:+.2f} bits",
            (threshold_weight, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
        )
        axes.set_xlabel("match weight (bits)")
        axes.set_ylabel("pairs")
        figure.legend(loc="outside upper left", ncols=2, frameon=False)
        return _chart(
            figure,
            f"Histogram of the match weights of {len(weights):,} pairs, "
            f"threshold at {threshold_weight:+.2f} bits",
        )


def level_weight_chart(levels: Sequence[tuple[str, str, float]]) -> Chart:
    """One horizontal bar per ``(comparison, level label, weight)``, the comparisons in
    the given order with a gap between them, positive weights in :data:`FOR`."""
    positions: list[float] = []
    names: list[str] = []
    row = 0.0
    previous: str | None = None
    for comparison, label, _ in levels:
        if previous is not None and comparison != previous:
            row += 0.6
        previous = comparison
        positions.append(row)
        names.append(f"{comparison}: {label}")
        row += 1
    weights = [weight for _, _, weight in levels]
    with _figure(8, 0.8 + 0.2 * max(row, 1)) as figure:
        axes = figure.subplots()
        axes.barh(
            positions,
            weights,
            height=0.8,
            color=[FOR if weight >= 0 else AGAINST for weight in weights],
        )
        for position, weight in zip(positions, weights, strict=True):
            axes.annotate(
                f"{weight:+.2f}",
                (weight, position),
                xytext=(3 if weight >= 0 else -3, 0),
                textcoords="offset points",
                ha="left" if weight >= 0 else "right",
                va="center",
                fontsize=7,
            )
        axes.axvline(0, color=INK, linewidth=0.8)
        axes.set_yticks(positions, names)
        for text in axes.get_yticklabels():
            text.set_parse_math(False)  # a name with $ is text, not TeX
        axes.invert_yaxis()
        axes.margins(x=0.12)
        axes.set_xlabel("weight, log2(m / u) (bits)")
        return _chart(figure, f"Bar chart of the weights of {len(levels)} comparison levels")


def cluster_size_chart(sizes: Sequence[tuple[int, int]]) -> Chart:
    """One bar per ``(cluster size, clusters of that size)``, the count on a log scale when
    the counts span more than two orders of magnitude."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    labels = [str(size) for size, _ in sizes]
    counts = [count for _, count in sizes]
    with _figure(8, 3) as figure:
        axes = figure.subplots()
        bars = axes.bar(labels, counts, color=INK)
        axes.bar_label(bars, labels=[f"{count:,}" for count in counts], fontsize=7, padding=2)
        if counts and max(counts) > 100 * min(counts):
            axes.set_yscale("log")
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            axes.yaxis.set_minor_formatter(NullFormatter())
        axes.margins(y=0.15)
        axes.set_xlabel("records in the cluster")
        axes.set_ylabel("clusters")
        if len(labels) > 25:
            axes.tick_params(axis="x", labelrotation=90)
        return _chart(
            figure,
            f"Bar chart of the number of clusters of each size, {sum(counts):,} clusters",
        )
