"""Blocking: which pairs of records are worth comparing.

A :class:`BlockingRule` names prepared key columns; records whose keys are all present and
equal on a rule are candidates. The candidates are the union over the rules. A key value
shared by more records than ``max_block_size`` (a switchboard phone, ``info@`` addresses,
"John Smith") is *generic*: it generates no pairs on its own, and is reported. Pairs are
generated per block size with numpy, never as a cross product of the data.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.errors import InvalidFieldError
from matching.dedupe.arrays import Codes, Keys, distinct
from matching.dedupe.fields import Prepared

Pairs = npt.NDArray[np.int64]
"""Candidate pairs encoded ``i * n + j`` with ``i < j`` (row positions)."""


@attrs.frozen
class BlockingRule:
    """Records that share every one of ``columns`` (prepared key columns) are candidates."""

    name: str
    columns: tuple[str, ...]


DEFAULT_RULES = (
    BlockingRule("email", ("email_canonical",)),
    BlockingRule("phone", ("phone1",)),
    BlockingRule("mobile", ("phone2",)),
    BlockingRule("name", ("name_tokens",)),
    BlockingRule("birthdate", ("birthdate",)),
    BlockingRule("postcode + surname sound", ("postcode", "last_soundex")),
    BlockingRule("postcode + first name", ("postcode", "first")),
    BlockingRule("postcode + birth year", ("postcode", "birth_year")),
    BlockingRule("name sounds, any order", ("name_sounds",)),
    BlockingRule("street", ("address",)),
    BlockingRule("government id", ("governmentid",)),
)
"""The union of rules the default model blocks on (each used when the data has its columns)."""


@attrs.frozen
class RuleReport:
    """What one rule produced: candidate pairs, and the generic keys it dropped."""

    rule: str
    pairs: int
    generic_keys: int
    generic_records: int
    largest_generic: tuple[str, int] | None


def rule_codes(prepared: Prepared, rule: BlockingRule) -> tuple[Codes, list[Keys]]:
    """Each record's key under ``rule`` as one integer (``-1`` where one of its columns
    is missing), built from the columns' codes, and the columns' distinct values (from
    which :func:`key_text` reads a key back)."""
    combined = np.zeros(prepared.n, dtype=np.int64)
    missing = np.zeros(prepared.n, dtype=bool)
    values = []
    for column in rule.columns:
        (codes,), uniques = prepared.coded(column)
        if int(combined.max(initial=0)) * (len(uniques) + 1) >= 2**62:
            raise InvalidFieldError(
                "blocking", "rules of columns whose keys fit in 62 bits", rule.name
            )
        combined = combined * (len(uniques) + 1) + codes
        missing |= codes < 0
        values.append(uniques)
    combined[missing] = -1
    return combined, values


def key_text(key: int, rule: BlockingRule, values: list[Keys]) -> str:
    """A key of :func:`rule_codes` as people read it: its columns' values joined by +."""
    parts = []
    for uniques in reversed(values):
        key, code = divmod(key, len(uniques) + 1)
        parts.append(str(uniques[code]))
    return " + ".join(reversed(parts))


def _block_pairs(
    codes: npt.NDArray[np.int64], n: int, cap: int
) -> tuple[Pairs, npt.NDArray[np.int64]]:
    """The pairs within each block of 2..cap records, and the codes of the larger blocks."""
    valid = np.flatnonzero(codes >= 0)
    if not len(valid):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = valid[np.argsort(codes[valid], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    generic = sorted_codes[starts[sizes > cap]]
    chunks = []
    for size in distinct(sizes[(sizes >= 2) & (sizes <= cap)]):
        group_starts = starts[sizes == size]
        upper_i, upper_j = np.triu_indices(int(size), k=1)
        left = order[group_starts[:, None] + upper_i[None, :]].ravel()
        right = order[group_starts[:, None] + upper_j[None, :]].ravel()
        low, high = np.minimum(left, right), np.maximum(left, right)
        chunks.append(low.astype(np.int64) * n + high)
    pairs = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    return pairs, generic


def candidate_pairs(
    prepared: Prepared, rules: tuple[BlockingRule, ...], max_block_size: int
) -> tuple[Pairs, tuple[RuleReport, ...]]:
    """Every candidate pair of the rules' union, each once, and what each rule produced."""
    n = prepared.n
    found: list[Pairs] = []
    reports = []
    for rule in rules:
        if not all(prepared.has(c) for c in rule.columns):
            continue
        keys, values = rule_codes(prepared, rule)
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        codes[keys < 0] = -1
        pairs, generic = _block_pairs(codes.astype(np.int64), n, max_block_size)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        largest = None
        if len(generic):
            biggest = int(generic[np.argmax(counts[generic])])
            largest = (key_text(int(uniques[biggest]), rule, values), int(counts[biggest]))
        reports.append(
            RuleReport(
                rule.name,
                len(pairs),
                len(generic),
                int(counts[generic].sum()) if len(generic) else 0,
                largest,
            )
        )
        found.append(pairs)
    union = distinct(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    return union, tuple(reports)
