"""Record store benchmark: bulk import into SQLite, then point lookups by email.

Run from the repository root::

    .venv/bin/python benchmarks/bench_store.py                  # 1,000,000 leads + 1,000,000 contacts
    .venv/bin/python benchmarks/bench_store.py --rows 100000    # smoke run (about a minute)

Rows are generated into CSV files first (not timed): GUID ids, names, unique
emails, phones in several formats, companies, states and status reasons, flags
and ISO 8601 dates, plus a ``fullname`` column a Dynamics export carries (ignored
on import). Then, into a fresh SQLite file in a temporary directory:

* **import**: ``import_csv`` of the leads, then of the contacts, each in a fresh
  process, timed end to end (reading, validating, match keys, writing): rows/s,
  and memory as the peak RSS during the import minus the RSS before it (Linux:
  the peak is reset through ``/proc/self/clear_refs`` and read as ``VmHWM``;
  elsewhere ``ru_maxrss``, the peak since the process started). tracemalloc is not
  used: it slows Python down several times.
* **lookups**: for random existing leads, ``store.lookup(Lead, "emailaddress1", key)``
  with the normalised key, ``store.get(Lead, id)`` and ``store.find(Lead,
  "emailaddress1", email)``, each call timed alone: p50 and p99 in µs. Both
  database files are read once first, so the lookups start from a warm OS page
  cache (as on a server that has been running), and each path is warmed up on
  its first 1,000 keys.

The baseline is measured in the same run on the same rows: Python's ``sqlite3``
reading the same CSV with ``csv.reader`` and inserting it with ``executemany``
into a table with the same columns (primary key on the id, an index on the
email), 5,000 rows per transaction, same pragmas (WAL, synchronous=NORMAL); no
validation and no match keys. Its lookups are ``SELECT ... WHERE emailaddress1 = ?``
and ``WHERE id = ?``. The issue gives no targets: the report prints the figures
and the ratios against the baseline, and exits 0.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import datetime as dt
import importlib.util
import multiprocessing
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("lifecycle") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from _report import environment, fmt, load_average  # noqa: E402

from lifecycle import Contact, Lead, Record  # noqa: E402
from matching import normalize  # noqa: E402
from matching.store import Store, open_store  # noqa: E402
from matching.store.bulk import DEFAULT_BATCH_SIZE, import_csv  # noqa: E402

DEFAULT_ROWS = 1_000_000
DEFAULT_LOOKUPS = 20_000
WARM_UP_LOOKUPS = 1_000

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim",
          "Zoë", "José", "Mei", "Olu", "Priya", "Søren", "Aiko", "Fatima", "Liam", "Noor")  # fmt: skip
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
         "Perlman", "Berners-Lee", "O'Brien", "García", "Nguyen", "Okafor", "Müller", "Sato")  # fmt: skip
_COMPANY = ("Contoso Ltd", "Fabrikam, Inc.", "Northwind Traders", "Adventure Works",
            "Tailspin Toys", "Wide World Importers", "Litware", "Proseware")  # fmt: skip
_DOMAINS = ("contoso.com", "fabrikam.com", "example.org", "northwind.net", "mail.example.co.uk")
_TITLES = ("Analyst", "CTO", "Head of Marketing", "Buyer", "Engineer", "")
_CITIES = (("Seattle", "United States"), ("London", "United Kingdom"), ("Lyon", "France"), ("", ""))
_PHONES = ("+1 {0} 555 {1:04d}", "({0}) 555-{1:04d}", "+44 20 7{0} {1:04d}", "{0}-555-{1:04d}")
_T0 = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)

LEAD_HEADER = (
    "leadid", "statecode", "statuscode", "firstname", "lastname", "fullname", "emailaddress1",
    "telephone1", "mobilephone", "companyname", "jobtitle", "address1_city", "address1_country",
    "donotemail", "donotbulkemail", "createdon", "modifiedon",
)  # fmt: skip
CONTACT_HEADER = tuple(
    "contactid" if c == "leadid" else c for c in LEAD_HEADER if c != "companyname"
)


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _phone(rng: random.Random) -> str:
    """A phone number in one of several formats; nearly all distinct, as in real data."""
    return rng.choice(_PHONES).format(rng.randint(201, 989), rng.randrange(10_000))


def _codes(kind: type[Record], draw: float, rng: random.Random) -> tuple[str, str]:
    if kind is Lead:
        if draw < 0.80:
            return "0", "1"
        if draw < 0.88:
            return "0", "2"
        if draw < 0.94:
            return "1", "3"
        return "2", str(rng.randint(4, 7))
    return ("0", "1") if draw < 0.92 else ("1", "2")


def write_rows(path: Path, kind: type[Record], rows: int, seed: int) -> list[tuple[str, str]]:
    """Write ``rows`` realistic rows of ``kind`` as a Dynamics-style CSV (not timed).

    Returns ``(id, email)`` of every row, for the lookups.
    """
    rng = random.Random(seed)
    header = LEAD_HEADER if kind is Lead else CONTACT_HEADER
    keys: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for i in range(rows):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            email = f"{first}.{last}.{i}@{rng.choice(_DOMAINS)}".lower().replace("'", "")
            created = _T0 + dt.timedelta(seconds=rng.randrange(6 * 365 * 86_400))
            modified = created + dt.timedelta(seconds=rng.randrange(365 * 86_400))
            city, country = rng.choice(_CITIES)
            statecode, statuscode = _codes(kind, rng.random(), rng)
            values = {
                "leadid": record_id,
                "contactid": record_id,
                "statecode": statecode,
                "statuscode": statuscode,
                "firstname": first,
                "lastname": last,
                "fullname": f"{first} {last}",
                "emailaddress1": email,
                "telephone1": _phone(rng) if rng.random() < 0.7 else "",
                "mobilephone": _phone(rng) if rng.random() < 0.3 else "",
                "companyname": rng.choice(_COMPANY),
                "jobtitle": rng.choice(_TITLES),
                "address1_city": city,
                "address1_country": country,
                "donotemail": "True" if rng.random() < 0.05 else "False",
                "donotbulkemail": "True" if rng.random() < 0.08 else "False",
                "createdon": _stamp(created),
                "modifiedon": _stamp(modified),
            }
            writer.writerow([values[name] for name in header])
            keys.append((record_id, email))
    return keys


# --------------------------------------------------------------------------- import phases
# Each runs in a fresh (spawned) process, so its peak RSS is its own.


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _start_peak() -> int:
    """Reset the peak RSS where Linux allows it; returns the RSS now, in bytes."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    now = _status_kib("VmRSS")
    return (now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _peak() -> int:
    """The peak RSS since :func:`_start_peak` (since the process started, without Linux)."""
    peak = _status_kib("VmHWM")
    return (peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def leadflow_import(db: str, source: str, kind_name: str, batch_size: int) -> dict[str, Any]:
    """``import_csv`` of ``source`` into the store at ``db``, timed; in a fresh process."""
    kind = Lead if kind_name == "lead" else Contact
    with open_store(db) as store:
        before = _start_peak()
        start = time.perf_counter()
        report = import_csv(store, source, kind, batch_size=batch_size)
        seconds = time.perf_counter() - start
        peak = _peak()
    if not report.ok or report.inserted != report.rows:
        raise RuntimeError(f"the import did not store every row: {report.summary()}")
    return {"rows": report.rows, "seconds": seconds, "rss_growth": peak - before, "rss": peak}


def baseline_import(db: str, source: str, table: str, batch_size: int) -> dict[str, Any]:
    """The same CSV into a plain table with ``sqlite3.executemany``; in a fresh process."""
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    before = _start_peak()
    start = time.perf_counter()
    with open(source, encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        columns = ", ".join(
            f"{name} TEXT PRIMARY KEY" if i == 0 else f"{name}" for i, name in enumerate(header)
        )
        connection.execute(f"CREATE TABLE {table} ({columns})")
        connection.execute(f"CREATE INDEX ix_{table}_email ON {table} (emailaddress1)")
        insert = f"INSERT INTO {table} VALUES ({', '.join('?' for _ in header)})"
        rows = 0
        while batch := [row for _, row in zip(range(batch_size), reader, strict=False)]:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(insert, batch)
            connection.execute("COMMIT")
            rows += len(batch)
    seconds = time.perf_counter() - start
    peak = _peak()
    connection.close()
    return {"rows": rows, "seconds": seconds, "rss_growth": peak - before, "rss": peak}


def in_fresh_process(work: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``work(*args)`` in a newly spawned interpreter (nothing inherited, own peak RSS)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(work, *args).result()


# --------------------------------------------------------------------------- lookups


def warm_page_cache(path: Path) -> None:
    """Read a database file and its WAL once, as a long-running server would have them cached."""
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            with part.open("rb") as file:
                while file.read(1 << 24):
                    pass


def latencies_us(call: Callable[[Any], object], keys: Sequence[Any]) -> list[float]:
    """Each ``call(key)`` timed alone, in µs, after a warm-up on the first keys."""
    for key in keys[:WARM_UP_LOOKUPS]:
        call(key)
    clock = time.perf_counter_ns
    times = []
    for key in keys:
        start = clock()
        call(key)
        times.append((clock() - start) / 1000)
    return times


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, by the inclusive method."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def measure_lookups(
    store: Store, raw: sqlite3.Connection, sample: Sequence[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """p50 and p99 (µs) of each lookup path over ``sample`` ``(id, email)`` pairs."""

    def expect(found: object) -> None:
        if not found:
            raise RuntimeError("a lookup found nothing: the benchmark is broken")

    emails = [email for _, email in sample]
    keys = [normalize.email(email) for email in emails]
    ids = [record_id for record_id, _ in sample]
    paths: dict[str, tuple[Callable[[Any], object], Sequence[Any]]] = {
        "store.lookup by email key": (
            lambda key: expect(store.lookup(Lead, "emailaddress1", key)),
            keys,
        ),
        "store.get by id": (lambda i: expect(store.get(Lead, i)), ids),
        "store.find by email": (lambda e: expect(store.find(Lead, "emailaddress1", e)), emails),
        "raw SELECT by email": (
            lambda e: expect(
                raw.execute(
                    "SELECT leadid, modifiedon FROM raw_leads WHERE emailaddress1 = ?", (e,)
                ).fetchall()
            ),
            emails,
        ),
        "raw SELECT * by id": (
            lambda i: expect(
                raw.execute("SELECT * FROM raw_leads WHERE leadid = ?", (i,)).fetchall()
            ),
            ids,
        ),
    }
    results = {}
    for name, (call, args) in paths.items():
        times = latencies_us(call, args)
        results[name] = (percentile(times, 50), percentile(times, 99))
    return results


# --------------------------------------------------------------------------- report


def _rate(result: dict[str, Any]) -> str:
    rows, seconds = result["rows"], result["seconds"]
    growth = result["rss_growth"] / 2**20
    return f"{rows:,} rows in {seconds:.1f}s = {rows / seconds:,.0f} rows/s, peak RSS +{growth:,.0f} MiB"


def run(
    rows: int, lookups: int, batch_size: int, directory: Path, say: Callable[[str], None]
) -> None:
    """Generate, import, look up, and print each figure as it is measured."""
    clock = time.perf_counter()

    def step(text: str) -> None:
        say(f"[{time.perf_counter() - clock:7.1f}s] {text}")

    files = {"lead": directory / "leads.csv", "contact": directory / "contacts.csv"}
    step(f"writing {rows:,} leads and {rows:,} contacts as CSV (not timed)")
    lead_keys = write_rows(files["lead"], Lead, rows, seed=1)
    write_rows(files["contact"], Contact, rows, seed=2)
    for name, path in files.items():
        step(f"  {name}s.csv {path.stat().st_size / 1e6:,.0f} MB")

    store_db, raw_db = str(directory / "leadflow.db"), str(directory / "raw.db")
    open_store(store_db).close()
    imports: dict[str, dict[str, Any]] = {}
    for name in ("lead", "contact"):
        step(f"baseline: sqlite3 executemany of {name}s.csv ...")
        base = in_fresh_process(
            baseline_import, raw_db, str(files[name]), f"raw_{name}s", batch_size
        )
        step(f"  {_rate(base)}")
        step(f"leadflow: import_csv of {name}s.csv, batches of {batch_size:,} ...")
        ours = in_fresh_process(leadflow_import, store_db, str(files[name]), name, batch_size)
        step(f"  {_rate(ours)} (process peak {ours['rss'] / 2**20:,.0f} MiB)")
        imports[name] = {"leadflow": ours, "baseline": base}
    sizes = {p: Path(p).stat().st_size / 1e6 for p in (store_db, raw_db)}
    step(f"database files: leadflow {sizes[store_db]:,.0f} MB, baseline {sizes[raw_db]:,.0f} MB")

    sample = random.Random(3).sample(lead_keys, min(lookups, len(lead_keys)))
    step("reading both database files once, so lookups start from a warm OS page cache")
    for path in (store_db, raw_db):
        warm_page_cache(Path(path))
    step(f"lookups: {len(sample):,} random existing leads per path, each call timed alone ...")
    raw = sqlite3.connect(raw_db)
    with open_store(store_db) as store:
        latency = measure_lookups(store, raw, sample)
    raw.close()
    for name, (p50, p99) in latency.items():
        step(f"  {name:<26} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs")
    step("done")

    say("")
    table: list[tuple[str, str, str, str]] = [
        ("figure", "leadflow", "baseline (raw sqlite3)", "ratio")
    ]
    for name, pair in imports.items():
        lf, base = pair["leadflow"], pair["baseline"]
        lf_rps, base_rps = lf["rows"] / lf["seconds"], base["rows"] / base["seconds"]
        table.append(
            (
                f"import {name}s, rows/s",
                fmt(lf_rps, "rows/s"),
                fmt(base_rps, "rows/s"),
                f"{base_rps / lf_rps:,.1f}x slower",
            )
        )
        table.append(
            (f"import {name}s, total", fmt(lf["seconds"], "s"), fmt(base["seconds"], "s"), "-")
        )
        table.append(
            (
                f"import {name}s, peak RSS growth",
                fmt(lf["rss_growth"] / 2**20, "MiB"),
                fmt(base["rss_growth"] / 2**20, "MiB"),
                "-",
            )
        )
    raw_email, raw_id = latency["raw SELECT by email"], latency["raw SELECT * by id"]
    for name, raw_pair in (
        ("store.lookup by email key", raw_email),
        ("store.find by email", raw_email),
        ("store.get by id", raw_id),
    ):
        for i, label in enumerate(("p50", "p99")):
            table.append(
                (
                    f"{name}, {label}",
                    fmt(latency[name][i], "µs"),
                    fmt(raw_pair[i], "µs"),
                    f"{latency[name][i] / raw_pair[i]:,.1f}x slower",
                )
            )
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    rule = "  ".join("-" * w for w in widths)
    say(rule)
    for i, row in enumerate(table):
        say("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if i == 0:
            say(rule)
    say(rule)
    say(
        f"{rows:,} leads and {rows:,} contacts into one SQLite file; batches of {batch_size:,}; "
        f"lookups over {len(sample):,} random existing leads. No targets in the issue."
    )
    say(
        "Memory: peak RSS during the import minus RSS before it, in a fresh process "
        "(VmHWM after a /proc/self/clear_refs reset), not tracemalloc."
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help=f"leads, and as many contacts (default {DEFAULT_ROWS:,})",
    )
    parser.add_argument(
        "--lookups",
        type=int,
        default=DEFAULT_LOOKUPS,
        help=f"timed lookups per path (default {DEFAULT_LOOKUPS:,})",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per transaction (default {DEFAULT_BATCH_SIZE:,})",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="directory for the files (default: a temporary one, deleted after)",
    )
    args = parser.parse_args(argv)
    for name in ("rows", "lookups", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; always 0 unless it cannot run."""
    args = parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    say("leadflow record store benchmark (SQLite)")
    for line in environment(
        f"SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}",
    ):
        say(line)
    say(f"rows={args.rows:,} leads + {args.rows:,} contacts, lookups={args.lookups:,}")
    say("")
    started = time.perf_counter()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        run(args.rows, args.lookups, args.batch_size, args.dir, say)
    else:
        with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
            run(args.rows, args.lookups, args.batch_size, Path(directory), say)
    say(f"total run time {time.perf_counter() - started:.1f}s; load average now {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
