"""What a dedupe run found: its pairs, its clusters, and a summary for people."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pandas as pd

from lifecycle.errors import InvalidFieldError
from matching.dedupe.blocking import RuleReport
from matching.dedupe.fields import Prepared
from matching.dedupe.model import DedupeModel, Frequencies

if TYPE_CHECKING:
    import os

    from matching.dedupe.explain import Explanation


@attrs.frozen(eq=False)
class DedupeResult:
    """Pairs at or above the threshold (all scored candidates with ``all_pairs``), the
    clusters they form, the model and threshold that decided, and what blocking did.

    ``pairs``: ``left_id``, ``right_id`` (``left_id < right_id``), ``match_weight``,
    ``match_probability`` and one column per comparison holding its level (0 is the
    strongest agreement, -1 a missing value). ``clusters``: indexed by record id, every
    input id exactly once, with its ``cluster_id``."""

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    model: DedupeModel
    threshold: float
    """The match probability a pair needs to link."""
    records: int
    candidates: int
    rules: tuple[RuleReport, ...]
    threshold_reason: str = "given"
    """How the threshold was chosen."""
    prepared: Prepared | None = attrs.field(default=None, repr=False)
    """The run's normalised records, which :meth:`explain` compares again."""
    frequencies: Frequencies = attrs.field(factory=dict, repr=False)
    """The run's term frequencies."""

    def explain(self, a: object, b: object) -> Explanation:
        """Why records ``a`` and ``b`` scored what they did: every comparison's level, the
        values compared, ``m``, ``u`` and weight, and the prior; its ``match_weight`` is
        the pair's weight in :attr:`pairs`. Any two records of the run can be explained,
        linked or not, candidates or not."""
        from matching.dedupe.explain import explain

        if self.prepared is None:
            raise InvalidFieldError("result", "a result of find_duplicates or find_matches", self)
        return explain(self.model, self.prepared, self.frequencies, a, b)

    def report(self, path: str | os.PathLike[str]) -> Path:
        """Write this run as one self-contained HTML page to ``path`` and return its path:
        the summary, a histogram of the pairs' match weights, each comparison level's
        ``m``, ``u`` and weight, the clusters' sizes, and a sample of clusters with each
        pair's explanation as a waterfall of weights (see :mod:`.report`). It fetches
        nothing when opened, and the same result writes the same bytes."""
        from matching.dedupe.report import render

        target = Path(path)
        target.write_text(render(self), encoding="utf-8", newline="")
        return target

    def summary(self) -> str:
        """What was compared and found, in a few lines."""
        sizes = self.clusters["cluster_id"].value_counts()
        by_size = sizes.value_counts().sort_index()
        linked = int((self.pairs["match_probability"] >= self.threshold).sum())
        lines = [
            f"{self.records:,} records, {self.candidates:,} candidate pairs compared.",
            "Candidates per blocking rule: "
            + "; ".join(f"{r.rule} {r.pairs:,}" for r in self.rules)
            + ".",
        ]
        generic = [r for r in self.rules if r.generic_keys]
        if generic:
            lines.append(
                "Generic keys dropped (shared by more than "
                f"{self.model.max_block_size} records): "
                + "; ".join(
                    f"{r.rule} {r.generic_keys:,} keys ({r.generic_records:,} records"
                    + (
                        f", largest {r.largest_generic[0]!r} {r.largest_generic[1]:,}"
                        if r.largest_generic
                        else ""
                    )
                    + ")"
                    for r in generic
                )
                + "."
            )
        lines.append(
            f"{linked:,} pairs at or above match probability {self.threshold:.3g} "
            f"({self.threshold_reason})."
        )
        lines.append(
            f"{len(sizes):,} clusters: "
            + ", ".join(f"{count:,} of {size}" for size, count in by_size.items())
            + f"; the largest holds {int(sizes.max()) if len(sizes) else 0} records."
        )
        return "\n".join(lines)
