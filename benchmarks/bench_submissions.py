"""Form-submission benchmark: ``SubmissionHandler.submit`` latency on a large store.

Run from the repository root::

    .venv/bin/python benchmarks/bench_submissions.py                     # 1,000,000 contacts + 1,000,000 leads
    .venv/bin/python benchmarks/bench_submissions.py --people 50000 --submissions 3000   # smoke run
    .venv/bin/python benchmarks/bench_submissions.py --db /var/tmp/bench.db   # keep the store, reuse it next time

**The store** (built first, not timed, in a fresh process; about 10 minutes at
1M on two cores): one person per index, each a contact and a lead with the same
email; half the leads are children of their contact (``parentcontactid``), every
lead came from one of 20 marketing pages; 8% of contacts are inactive and 20% of
leads are qualified or disqualified, as in a CRM that has been running for years.
Names come from 400 first names and 6,000 surnames (weighted, so some full names
are common and a full-name block has hundreds of records, as in real data); phones
are in several formats. ``--db PATH`` keeps the store and reuses it on later runs
when it was built with the same ``--people``.

**Timed**, each call alone, after the database file is read once (a warm OS page
cache, as on a server that has been running) and 1,000 warm-up submissions:

* the **floor**: a bare indexed ``SELECT`` on the same store, the contact id for an
  email key from the ``match_keys`` primary-key index, on the DBAPI connection;
* **exact**: ``SubmissionHandler(store)`` with the default strategies (contact by
  email; lead by email and page, D2). The mix is 60% returning people on the page
  their lead came from (contact and lead updated), 15% returning people on another
  page (a new lead for their contact, or their closed lead left alone), 25% new
  people (a contact and a lead created);
* **fuzzy**: ``SubmissionHandler(store, CONTACT_FUZZY, LEAD_FUZZY)``: returning
  people with a typo in a name and the email or phone written differently, and
  new people; each submission looks candidates up by email, phone and full name.

Every submission commits its own transaction (SQLite WAL, ``synchronous=NORMAL``).
The report prints p50, p90, p99 and p99.9 in µs, each path's p50 as a multiple of
the floor's, and the issue's targets: exact p50 <= 1 ms and p99 <= 5 ms, fuzzy
p50 <= 3 ms. It exits 0 whether targets are met or not.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import importlib.util
import json
import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("lifecycle") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from _report import environment, fmt, load_average  # noqa: E402

from lifecycle import Contact, Lead, LeadStatus  # noqa: E402
from matching import (  # noqa: E402
    CONTACT_FUZZY,
    LEAD_FUZZY,
    SubmissionHandler,
    normalize,
    open_store,
)

DEFAULT_PEOPLE = 1_000_000
DEFAULT_SUBMISSIONS = 20_000
WARM_UP = 1_000
BATCH = 5_000
PAGES = [f"page-{n:02d}" for n in range(20)]
TARGETS = {"exact p50": 1_000.0, "exact p99": 5_000.0, "fuzzy p50": 3_000.0}
"""µs, from the issue."""

_SYLLABLES = ("an", "ber", "cor", "da", "el", "fen", "gar", "hol", "is", "jan", "kov", "lind",
              "mar", "nor", "ost", "par", "quin", "ros", "sten", "tor", "ul", "van", "wen", "zel")  # fmt: skip
_DOMAINS = (
    "contoso.com",
    "fabrikam.com",
    "gmail.com",
    "outlook.com",
    "example.org",
    "northwind.net",
)
_PHONES = ("+1 {0} 555 {1:04d}", "({0}) 555-{1:04d}", "{0}.555.{1:04d}", "+1-{0}-555-{1:04d}")
_T0 = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- the people


class People:
    """Deterministic people by index: the same index gives the same person in every process."""

    def __init__(self, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.first = sorted({self._word(rng, 2).title() for _ in range(600)})[:400]
        self.last = sorted({self._word(rng, 3).title() for _ in range(9_000)})[:6_000]
        # Zipf-like weights: a few very common names, a long tail of rare ones.
        self.first_weights = [1 / (r + 1) for r in range(len(self.first))]
        self.last_weights = [1 / (r + 1) ** 0.8 for r in range(len(self.last))]

    @staticmethod
    def _word(rng: random.Random, parts: int) -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(parts - 1, parts)))

    def person(self, index: int) -> dict[str, Any]:
        rng = random.Random(index * 7919 + 17)
        first = rng.choices(self.first, self.first_weights)[0]
        last = rng.choices(self.last, self.last_weights)[0]
        domain = rng.choice(_DOMAINS)
        return {
            "firstname": first,
            "lastname": last,
            "emailaddress1": f"{first}.{last}.{index}@{domain}".lower(),
            "telephone1": rng.choice(_PHONES).format(200 + index % 700, index % 10_000),
            "companyname": f"{rng.choice(self.last)} {rng.choice(('Ltd', 'Inc.', 'GmbH', 'LLC'))}",
            "jobtitle": rng.choice(("Analyst", "CTO", "Head of Marketing", "Buyer", "Engineer")),
            "page": PAGES[index % len(PAGES)],
            "child": index % 2 == 0,
            "draw": rng.random(),
            "modified": _T0 + dt.timedelta(seconds=rng.randrange(6 * 365 * 86_400)),
        }


def _records(people: People, index: int) -> tuple[Contact, Lead]:
    p = people.person(index)
    fields = {k: p[k] for k in ("firstname", "lastname", "emailaddress1", "telephone1", "jobtitle")}
    at = p["modified"]
    contact = Contact(**fields, createdon=at, modifiedon=at)
    lead = Lead(
        **fields,
        companyname=p["companyname"],
        msdyncrm_marketingpageid=p["page"],
        parentcontactid=contact.id if p["child"] else None,
        createdon=at,
        modifiedon=at,
    )
    if p["draw"] < 0.08:
        contact.deactivate(at=at)
    if p["draw"] > 0.90:
        lead.qualify(at=at)
    elif p["draw"] > 0.80:
        lead.disqualify(LeadStatus.LOST, at=at)
    return contact, lead


def build(db: str, people: int) -> dict[str, Any]:
    """Fill a new store at ``db`` with ``people`` contacts and leads; in a fresh process."""
    made = People()
    started = time.perf_counter()
    with open_store(db) as store:
        for start in range(0, people, BATCH):
            contacts, leads = zip(
                *(_records(made, i) for i in range(start, min(people, start + BATCH))),
                strict=True,
            )
            with store.transaction() as tx:
                tx.add_many(contacts, allow_tombstoned=True)
                tx.add_many(leads, allow_tombstoned=True)
        counts = {"contacts": store.count(Contact), "leads": store.count(Lead)}
    return {**counts, "seconds": time.perf_counter() - started}


def in_fresh_process(work: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(work, *args).result()


# --------------------------------------------------------------------------- submissions


def _typo(word: str, rng: random.Random) -> str:
    """One edit: a letter dropped, doubled or swapped with the next."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    edit = rng.choice(("drop", "double", "swap"))
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def exact_submissions(
    people: People, known: int, count: int, seed: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(scenario, submission)`` pairs in the exact mix; new people get indexes past ``known``."""
    rng = random.Random(seed)
    fresh = known + 10_000_000 * seed
    for n in range(count):
        draw = rng.random()
        if draw < 0.75:
            p = people.person(rng.randrange(known))
            same = draw < 0.60
            page = p["page"] if same else PAGES[(PAGES.index(p["page"]) + 1) % len(PAGES)]
            scenario = "returning, same page" if same else "returning, other page"
        else:
            p = people.person(fresh + n)
            page, scenario = p["page"], "new person"
        email = p["emailaddress1"]
        yield (
            scenario,
            {
                "emailaddress1": email.upper() if rng.random() < 0.2 else email,
                "firstname": p["firstname"],
                "lastname": p["lastname"],
                "jobtitle": rng.choice(("Analyst", "CTO", "Buyer")),
                "msdyncrm_marketingpageid": page,
                "msdyncrm_marketingformid": "form-1",
                "consent_level": rng.choice((None, 2, 3)),
                "utm_source": rng.choice(("newsletter", "ads", "event")),
            },
        )


def fuzzy_submissions(
    people: People, known: int, count: int, seed: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Returning people with typos and reformatted contact details, and new people."""
    rng = random.Random(seed)
    fresh = known + 10_000_000 * seed
    for n in range(count):
        if rng.random() < 0.75:
            p = people.person(rng.randrange(known))
            scenario = "returning, typo"
            first, last = p["firstname"], _typo(p["lastname"], rng)
        else:
            p = people.person(fresh + n)
            scenario = "new person"
            first, last = p["firstname"], p["lastname"]
        digits = "".join(ch for ch in p["telephone1"] if ch.isdigit())[-10:]
        yield (
            scenario,
            {
                "emailaddress1": p["emailaddress1"].upper()
                if rng.random() < 0.5
                else p["emailaddress1"],
                "firstname": first,
                "lastname": last,
                "telephone1": f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                "companyname": p["companyname"],
                "msdyncrm_marketingpageid": p["page"],
            },
        )


# --------------------------------------------------------------------------- timing


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def summary(times: Sequence[float]) -> dict[str, float]:
    return {
        "p50": _percentile(times, 50),
        "p90": _percentile(times, 90),
        "p99": _percentile(times, 99),
        "p99.9": _percentile(times, 99.9),
        "mean": statistics.fmean(times),
    }


def time_submissions(
    handler: SubmissionHandler, submissions: Sequence[tuple[str, dict[str, Any]]]
) -> tuple[list[float], dict[str, list[float]], Counter[str]]:
    """Each ``submit`` timed alone, in µs; also by scenario, and what the outcomes were."""
    clock = time.perf_counter_ns
    times: list[float] = []
    by_scenario: dict[str, list[float]] = {}
    outcomes: Counter[str] = Counter()
    for scenario, data in submissions:
        start = clock()
        outcome = handler.submit(data)
        elapsed = (clock() - start) / 1000
        times.append(elapsed)
        by_scenario.setdefault(scenario, []).append(elapsed)
        outcomes[f"contact {outcome.contact_action.value}"] += 1
        outcomes[f"lead {outcome.lead_action.value}"] += 1
    return times, by_scenario, outcomes


def time_floor(store: Any, people: People, known: int, count: int) -> list[float]:
    """A bare indexed SELECT (contact id by email key, primary-key index) on the DBAPI connection."""
    rng = random.Random(5)
    keys = [
        normalize.email(people.person(rng.randrange(known))["emailaddress1"]) for _ in range(count)
    ]
    raw = store.engine.raw_connection()
    mark = "?" if store.dialect == "sqlite" else "%s"
    sql = (
        "SELECT record_id FROM match_keys WHERE record_type = 'contact' "
        f"AND field = 'emailaddress1' AND key = {mark}"
    )
    try:
        cursor = raw.cursor()
        clock = time.perf_counter_ns
        times = []
        for i, key in enumerate(keys):
            start = clock()
            cursor.execute(sql, (key,))
            found = cursor.fetchall()
            elapsed = (clock() - start) / 1000
            if not found:
                raise RuntimeError(f"the floor query found no contact for {key!r}")
            if i >= WARM_UP:
                times.append(elapsed)
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return times


def warm_page_cache(db: str) -> None:
    for part in (Path(db), Path(db + "-wal")):
        if part.exists():
            with part.open("rb") as file:
                while file.read(1 << 24):
                    pass


# --------------------------------------------------------------------------- the run


def prepare(db: str, people: int, say: Callable[[str], None]) -> None:
    """Build the store unless ``db`` holds one this script built for ``people``."""
    marker = Path(db + ".bench.json")
    if marker.exists() and json.loads(marker.read_text()).get("people") == people:
        say(f"reusing the store at {db} ({people:,} contacts + {people:,} leads)")
        return
    for stale in (Path(db), Path(db + "-wal"), Path(db + "-shm"), marker):
        stale.unlink(missing_ok=True)
    say(f"building {people:,} contacts + {people:,} leads at {db} (not timed) ...")
    built = in_fresh_process(build, db, people)
    if built["contacts"] != people or built["leads"] != people:
        raise RuntimeError(f"the store was not built whole: {built}")
    say(f"  built in {built['seconds']:,.0f}s ({2 * people / built['seconds']:,.0f} records/s)")
    marker.write_text(json.dumps({"people": people}))


def run(db: str, people: int, submissions: int, say: Callable[[str], None]) -> None:
    prepare(db, people, say)
    say(f"database file {Path(db).stat().st_size / 1e9:,.2f} GB; reading it once (warm page cache)")
    warm_page_cache(db)
    made = People()
    results: dict[str, dict[str, float]] = {}
    with open_store(db) as store:
        say(f"floor: {submissions:,} bare indexed SELECTs ...")
        floor = time_floor(store, made, people, submissions + WARM_UP)
        results["floor (indexed SELECT)"] = summary(floor)
        seed = int(time.time())
        for label, handler, generate in (
            ("exact", SubmissionHandler(store), exact_submissions),
            ("fuzzy", SubmissionHandler(store, CONTACT_FUZZY, LEAD_FUZZY), fuzzy_submissions),
        ):
            batch = list(generate(made, people, submissions + WARM_UP, seed))
            seed += 1
            say(f"{label}: {WARM_UP:,} warm-up then {submissions:,} timed submissions ...")
            time_submissions(handler, batch[:WARM_UP])
            times, by_scenario, outcomes = time_submissions(handler, batch[WARM_UP:])
            results[label] = summary(times)
            for scenario, part in sorted(by_scenario.items()):
                s = summary(part)
                say(
                    f"  {scenario:<22} n={len(part):>6,}  p50 {s['p50']:7,.0f} µs  p99 {s['p99']:7,.0f} µs"
                )
            say("  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    report(results, people, submissions, say)


def report(
    results: dict[str, dict[str, float]], people: int, submissions: int, say: Callable[[str], None]
) -> None:
    floor = results["floor (indexed SELECT)"]["p50"]
    say("")
    rows = [("path", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "p50 / floor")]
    for name, s in results.items():
        rows.append(
            (
                name,
                fmt(s["p50"]),
                fmt(s["p90"]),
                fmt(s["p99"]),
                fmt(s["p99.9"]),
                f"{s['p50'] / floor:,.0f}x",
            )
        )
    _table(rows, say)
    say("")
    checks = [("target", "limit", "measured", "")]
    for name, limit in TARGETS.items():
        path, stat = name.split()
        value = results[path][stat]
        checks.append(
            (name, fmt(limit, "µs"), fmt(value, "µs"), "PASS" if value <= limit else "MISS")
        )
    _table(checks, say)
    say(
        f"{people:,} contacts + {people:,} leads in SQLite; {submissions:,} timed submissions per "
        "path, each its own transaction, each call timed alone."
    )


def _table(rows: Sequence[Sequence[str]], say: Callable[[str], None]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "  ".join("-" * w for w in widths)
    say(rule)
    for i, row in enumerate(rows):
        say("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if i == 0:
            say(rule)
    say(rule)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE,
                        help=f"contacts, and as many leads (default {DEFAULT_PEOPLE:,})")  # fmt: skip
    parser.add_argument("--submissions", type=int, default=DEFAULT_SUBMISSIONS,
                        help=f"timed submissions per path (default {DEFAULT_SUBMISSIONS:,})")  # fmt: skip
    parser.add_argument("--db", default=None,
                        help="SQLite file to build the store in and keep (reused when built for "
                        "the same --people); default: a temporary one, deleted after")  # fmt: skip
    args = parser.parse_args(argv)
    if args.people < 1 or args.submissions < 1:
        parser.error("--people and --submissions must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; always 0 unless it cannot run."""
    args = parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    say("leadflow form-submission benchmark (SQLite)")
    for line in environment(
        f"SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}"
    ):
        say(line)
    say(f"people={args.people:,} (contacts + leads), submissions={args.submissions:,} per path")
    say("")
    started = time.perf_counter()
    if args.db is not None:
        run(args.db, args.people, args.submissions, say)
    else:
        with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
            run(str(Path(directory) / "leadflow.db"), args.people, args.submissions, say)
    say(f"total run time {time.perf_counter() - started:.1f}s; load average now {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
