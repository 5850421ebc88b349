"""Lifecycle benchmark: attach, single transitions, the batch path and memory per record.

Run from the repository root::

    .venv/bin/python benchmarks/bench_lifecycle.py                 # N=1,000,000, M=5,000
    .venv/bin/python benchmarks/bench_lifecycle.py --quick         # N=50,000,   M=1,000
    .venv/bin/python benchmarks/bench_lifecycle.py --records 200000 --baseline-records 2000

Every figure is compared with a baseline measured in the same run: the naive
approach of one ``transitions.Machine`` per record, built from the very same
definition (``lifecycle.definitions.LEAD_MACHINE``). The run ends with a summary
table giving each figure, the issue's target, PASS/MISS and the ratio against the
baseline. The exit code is 0 even when a target is missed: this is a report.

Timings use ``time.perf_counter`` with tracing off; memory is measured separately
with ``tracemalloc`` on a sample, after ``gc.collect()``. Transitions use a fixed
aware datetime (``AT``) so the system clock is not part of what is measured.

The module is importable and its functions accept any small size, so a test can
call e.g. ``run(records=200, baseline_records=20, memory_sample=100)`` without
timing anything meaningful.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("lifecycle") is None:  # run from a checkout without `pip install -e`
    sys.path.insert(0, str(ROOT))

import transitions  # noqa: E402
from _report import environment, fmt, load_average  # noqa: E402

from lifecycle.definitions import LEAD_LIFECYCLE, LEAD_MACHINE  # noqa: E402
from lifecycle.records import Lead  # noqa: E402
from lifecycle.states import LeadState  # noqa: E402

T = TypeVar("T")

AT = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
"""Every transition's time: fixed and aware, so the clock is not measured."""

TRIGGERS = ("disqualify", "reactivate", "qualify")
"""The three transitions each record goes through, in order (Open → Disqualified → Open →
Qualified)."""

DEFAULT_RECORDS = 1_000_000
DEFAULT_BASELINE_RECORDS = 5_000
DEFAULT_MEMORY_SAMPLE = 100_000
QUICK_RECORDS = 50_000
QUICK_BASELINE_RECORDS = 1_000

# The targets.
TARGET_ATTACH_US = 10.0
TARGET_ATTACH_BYTES = 1024.0
TARGET_SINGLE_TPS = 100_000.0
TARGET_BATCH_RPS = 1_000_000.0

KIB = 1024.0
MIB = 1024.0 * 1024.0

Row = tuple[str, str, str, str, str]
"""id, firstname, lastname, emailaddress1, companyname."""

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
_COMPANY = ("Contoso Ltd", "Fabrikam Inc", "Northwind Traders", "Adventure Works", "Tailspin Toys")


# --------------------------------------------------------------------------- input data


def lead_rows(n: int, start: int = 0) -> list[Row]:
    """``n`` distinct, deterministic lead field tuples (GUID-shaped ids, distinct emails).

    They are made before anything is timed or traced: field values are the
    caller's data, not what attaching a record costs.
    """
    rows: list[Row] = []
    for i in range(start, start + n):
        first = _FIRST[i % len(_FIRST)]
        last = _LAST[i % len(_LAST)]
        rows.append(
            (
                f"00000000-0000-4000-8000-{i:012d}",
                first,
                last,
                f"{first.lower()}.{last.lower()}.{i}@example.com",
                _COMPANY[i % len(_COMPANY)],
            )
        )
    return rows


def field_bytes_per_row(rows: Sequence[Row]) -> float:
    """Average size of a row's field strings (reported for context, never counted)."""
    sample = rows[:1000]
    if not sample:
        return 0.0
    return sum(sys.getsizeof(v) for row in sample for v in row) / len(sample)


# --------------------------------------------------------------------------- leadflow


def make_leads(rows: Sequence[Row]) -> list[Lead]:
    """Attach: construct one ``Lead`` per row; each fires through the shared ``Lifecycle``."""
    return [
        Lead(id=i, firstname=f, lastname=last, emailaddress1=e, companyname=c)
        for i, f, last, e, c in rows
    ]


def fire_single(leads: Sequence[Lead]) -> None:
    """Drive every lead through disqualify → reactivate → qualify, one record at a time."""
    at = AT
    for lead in leads:
        lead.disqualify(at=at)
        lead.reactivate(at=at)
        lead.qualify(at=at)


def fire_batch(leads: Sequence[Lead], trigger: str) -> None:
    """Apply one trigger to every lead through ``LEAD_LIFECYCLE.fire_many``."""
    result = LEAD_LIFECYCLE.fire_many(leads, trigger, at=AT)
    if result.applied != len(leads) or result.errors:
        first = next(iter(result.errors.values()), None)
        raise RuntimeError(
            f"fire_many({trigger!r}) applied {result.applied}/{len(leads)}; first error: {first}"
        )


def fire_batch_all(leads: Sequence[Lead]) -> None:
    """The three triggers, each over every lead, on the batch path."""
    for trigger in TRIGGERS:
        fire_batch(leads, trigger)


def check_leads(leads: Sequence[Lead], *, events: int) -> None:
    """Every lead ended Qualified with ``events`` history events (outside any timing)."""
    for lead in leads:
        if lead.state is not LeadState.QUALIFIED or len(lead._history or ()) != events:
            raise RuntimeError(f"lead {lead.id} ended {lead.state} with {lead.history!r}")


# --------------------------------------------------------------------------- baseline

BASELINE_STATES: list[str] = [s.value for s in LEAD_MACHINE.states]
BASELINE_TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": t.trigger, "source": [s.value for s in t.sources], "dest": t.dest.value}
    for t in LEAD_MACHINE.transitions
]
"""``LEAD_MACHINE`` as ``transitions`` configuration: the same states, triggers, sources
and destinations. Guards and effects are left out, which only makes the baseline
cheaper (its ratios are therefore conservative)."""


class PlainLead:
    """A plain object with the same fields: the model of the naive baseline."""

    def __init__(
        self, id: str, firstname: str, lastname: str, emailaddress1: str, companyname: str
    ) -> None:
        self.id = id
        self.firstname = firstname
        self.lastname = lastname
        self.emailaddress1 = emailaddress1
        self.companyname = companyname


def make_baseline(rows: Sequence[Row]) -> list[PlainLead]:
    """Attach the naive way: one ``transitions.Machine`` per record, bound to it as model."""
    objs: list[PlainLead] = []
    states, specs = BASELINE_STATES, BASELINE_TRANSITIONS
    for row in rows:
        obj = PlainLead(*row)
        transitions.Machine(
            model=obj, states=states, transitions=specs, initial="open", auto_transitions=False
        )
        objs.append(obj)
    return objs


def fire_baseline(objs: Sequence[Any]) -> None:
    """The same three triggers through each record's own machine (the model methods)."""
    for obj in objs:
        obj.disqualify()
        obj.reactivate()
        obj.qualify()


def check_baseline(objs: Sequence[Any]) -> None:
    """Every baseline record ended ``qualified``."""
    for obj in objs:
        if obj.state != "qualified":
            raise RuntimeError(f"baseline record {obj.id} ended {obj.state!r}")


# --------------------------------------------------------------------------- measuring

Step = Callable[[str], None]


def timed(fn: Callable[..., T], *args: Any, gc_off: bool = False) -> tuple[T, float]:
    """``fn(*args)`` and its wall time in seconds (``perf_counter``, tracing off).

    ``gc_off`` pauses the cyclic garbage collector while ``fn`` runs (a diagnostic:
    applications normally run with it on).
    """
    paused = gc_off and gc.isenabled()
    if paused:
        gc.disable()
    try:
        start = time.perf_counter()
        result = fn(*args)
        return result, time.perf_counter() - start
    finally:
        if paused:
            gc.enable()


def traced_bytes(build: Callable[[Sequence[Row]], list[Any]], rows: Sequence[Row]) -> float:
    """Bytes per item that ``build(rows)`` leaves allocated, measured with ``tracemalloc``.

    Garbage is collected before and after; the returned list's own storage is not
    counted, and the result stays alive until measured. Never timed.
    """
    gc.collect()
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        items = build(rows)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    if not items:
        return 0.0
    return (after - before - sys.getsizeof(items)) / len(items)


def leads_after_single(rows: Sequence[Row]) -> list[Lead]:
    """Leads made from ``rows`` and moved by the three triggers one record at a time."""
    leads = make_leads(rows)
    fire_single(leads)
    return leads


def leads_after_batch(rows: Sequence[Row]) -> list[Lead]:
    """Leads made from ``rows`` and moved by the three triggers on the batch path."""
    leads = make_leads(rows)
    fire_batch_all(leads)
    return leads


def baseline_after_fire(rows: Sequence[Row]) -> list[PlainLead]:
    """Baseline records made from ``rows`` and moved by the three triggers."""
    objs = make_baseline(rows)
    fire_baseline(objs)
    return objs


def warm_up() -> None:
    """Exercise every measured path once on a few records, so first calls are not timed."""
    rows = lead_rows(200, start=10_000_000_000)
    fire_single(make_leads(rows))
    fire_batch_all(make_leads(rows))
    fire_baseline(make_baseline(rows[:20]))
    gc.collect()


@attrs.frozen
class Figure:
    """One line of the summary table."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    baseline: float | None = None
    ratio: float | None = None
    ratio_label: str = ""

    @property
    def verdict(self) -> str:
        """PASS or MISS against the target; "-" when the issue sets none."""
        if self.target is None:
            return "-"
        ok = self.value >= self.target if self.higher_is_better else self.value <= self.target
        return "PASS" if ok else "MISS"


@attrs.frozen
class Report:
    """Every figure of one run, in summary-table order."""

    records: int
    baseline_records: int
    memory_sample: int
    baseline_memory_sample: int
    baseline_repeats: int
    gc_off: bool
    figures: tuple[Figure, ...]

    def figure(self, name: str) -> Figure:
        """The figure called ``name``."""
        for fig in self.figures:
            if fig.name == name:
                return fig
        raise KeyError(name)


def measure_baseline(
    rows: Sequence[Row], sample: int, repeats: int, step: Step, *, gc_off: bool = False
) -> dict[str, float]:
    """One ``transitions.Machine`` per record: attach and fire timings (best of
    ``repeats``, fresh records each time), then memory traced on ``sample`` records."""
    m = len(rows)
    attach_s = fire_s = float("inf")
    for attempt in range(1, repeats + 1):
        gc.collect()
        objs, attach = timed(make_baseline, rows, gc_off=gc_off)
        _, fire = timed(fire_baseline, objs, gc_off=gc_off)
        check_baseline(objs)
        del objs
        attach_s, fire_s = min(attach_s, attach), min(fire_s, fire)
        step(
            f"baseline run {attempt}/{repeats}  attach {attach / m * 1e6:.2f} µs/record, "
            f"fire {3 * m / fire:,.0f} transitions/s"
        )
    attach_b = traced_bytes(make_baseline, rows[:sample])
    step(f"baseline memory    attach {attach_b / KIB:.2f} KiB/record ({sample:,} traced)")
    after_b = traced_bytes(baseline_after_fire, rows[:sample])
    step(f"baseline memory    after 3 transitions {after_b / KIB:.2f} KiB/record")
    return {
        "attach_s": attach_s,
        "attach_us": attach_s / m * 1e6,
        "tps": 3 * m / fire_s,
        "attach_b": attach_b,
        "after_b": after_b,
    }


def measure_leadflow(
    rows: Sequence[Row], sample: int, step: Step, *, gc_off: bool = False
) -> dict[str, float]:
    """leadflow on ``rows``: attach, the single path, the batch path (one timed pass each,
    fresh leads for each path), then memory traced on ``sample`` leads."""
    n = len(rows)
    gc.collect()
    leads, attach_s = timed(make_leads, rows, gc_off=gc_off)
    step(f"leadflow attach    {n:,} leads in {attach_s:.3f}s = {attach_s / n * 1e6:.2f} µs/record")

    gc.collect()
    _, single_s = timed(fire_single, leads, gc_off=gc_off)
    check_leads(leads, events=3)
    step(f"leadflow single    {3 * n:,} transitions in {single_s:.3f}s = {3 * n / single_s:,.0f}/s")
    del leads
    gc.collect()

    leads = make_leads(rows)
    gc.collect()
    figures = {"attach_s": attach_s, "attach_us": attach_s / n * 1e6, "tps": 3 * n / single_s}
    batch_total_s = 0.0
    for trigger in TRIGGERS:
        _, seconds = timed(fire_batch, leads, trigger, gc_off=gc_off)
        batch_total_s += seconds
        figures[f"rps_{trigger}"] = n / seconds
        step(
            f"leadflow batch     {trigger:<10} {n:,} records in {seconds:.3f}s "
            f"= {n / seconds:,.0f}/s"
        )
    check_leads(leads, events=3)
    figures["rps"] = 3 * n / batch_total_s
    step(f"leadflow batch     overall {3 * n:,} record-transitions = {figures['rps']:,.0f}/s")
    del leads
    gc.collect()

    sample_rows = rows[:sample]
    figures["attach_b"] = traced_bytes(make_leads, sample_rows)
    step(f"leadflow memory    attach {figures['attach_b']:.0f} B/record ({sample:,} traced)")
    figures["single_b"] = traced_bytes(leads_after_single, sample_rows)
    step(f"leadflow memory    after 3 single transitions {figures['single_b']:.0f} B/record")
    figures["batch_b"] = traced_bytes(leads_after_batch, sample_rows)
    step(f"leadflow memory    after 3 batch transitions {figures['batch_b']:.0f} B/record")
    return figures


def run(
    records: int = DEFAULT_RECORDS,
    baseline_records: int = DEFAULT_BASELINE_RECORDS,
    memory_sample: int = DEFAULT_MEMORY_SAMPLE,
    *,
    baseline_repeats: int = 3,
    gc_off: bool = False,
    out: Step | None = None,
) -> Report:
    """Measure everything and return the figures; progress lines go to ``out``.

    ``records`` (N) leads are timed on each path; ``baseline_records`` (M) records
    for the one-machine-per-record baseline (best of ``baseline_repeats``); memory
    is traced on ``min(memory_sample, N)`` leads and ``min(memory_sample, M)``
    baseline records. ``gc_off`` pauses the cyclic GC during timed sections.
    """
    if min(records, baseline_records, memory_sample, baseline_repeats) < 1:
        raise ValueError("records, baseline_records, memory_sample, repeats must be at least 1")
    say: Step = out if out is not None else (lambda line: None)
    n, m = records, baseline_records
    sample = min(memory_sample, n)
    clock = time.perf_counter()

    def step(text: str) -> None:
        say(f"[{time.perf_counter() - clock:7.1f}s] {text}")

    step("warming up")
    warm_up()
    step(f"generating field data for {max(n, m):,} records (not timed)")
    rows = lead_rows(max(n, m))
    say(f"           caller's field strings: {field_bytes_per_row(rows):.0f} B/record, not counted")
    base = measure_baseline(rows[:m], min(memory_sample, m), baseline_repeats, step, gc_off=gc_off)
    lead = measure_leadflow(rows[:n], sample, step, gc_off=gc_off)
    step("done")

    base_tps = base["tps"]
    figures = [
        Figure(
            "attach time",
            lead["attach_us"],
            "µs/record",
            TARGET_ATTACH_US,
            higher_is_better=False,
            baseline=base["attach_us"],
            ratio=base["attach_us"] / lead["attach_us"],
            ratio_label="x faster",
        ),
        Figure(
            "attach memory",
            lead["attach_b"],
            "B/record",
            TARGET_ATTACH_BYTES,
            higher_is_better=False,
            baseline=base["attach_b"],
            ratio=base["attach_b"] / lead["attach_b"],
            ratio_label="÷ smaller",
        ),
        Figure(
            f"attach total, N={n:,}",
            lead["attach_s"],
            "s",
            baseline=base["attach_s"] / m * n,
            ratio=base["attach_s"] / m * n / lead["attach_s"],
            ratio_label="x faster (baseline projected)",
        ),
        Figure(
            f"attach memory total, N={n:,}",
            lead["attach_b"] * n / MIB,
            "MiB",
            baseline=base["attach_b"] * n / MIB,
            ratio=base["attach_b"] / lead["attach_b"],
            ratio_label="÷ smaller (both projected)",
        ),
        Figure(
            "single transitions",
            lead["tps"],
            "/s",
            TARGET_SINGLE_TPS,
            baseline=base_tps,
            ratio=lead["tps"] / base_tps,
            ratio_label="x",
        ),
        *(
            Figure(
                f"batch {trigger}",
                lead[f"rps_{trigger}"],
                "records/s",
                TARGET_BATCH_RPS,
                baseline=base_tps,
                ratio=lead[f"rps_{trigger}"] / base_tps,
                ratio_label="x",
            )
            for trigger in TRIGGERS
        ),
        Figure(
            "batch overall",
            lead["rps"],
            "records/s",
            TARGET_BATCH_RPS,
            baseline=base_tps,
            ratio=lead["rps"] / base_tps,
            ratio_label="x",
        ),
        *(
            Figure(
                f"memory after 3 {path}",
                lead[f"{path}_b"],
                "B/record",
                higher_is_better=False,
                baseline=base["after_b"],
                ratio=base["after_b"] / lead[f"{path}_b"],
                ratio_label="÷ smaller",
            )
            for path in ("single", "batch")
        ),
    ]
    return Report(n, m, sample, min(memory_sample, m), baseline_repeats, gc_off, tuple(figures))


def summary(report: Report) -> list[str]:
    """The summary table: figure, leadflow, target, PASS/MISS, baseline, ratio."""
    head = ("figure", "leadflow", "target", "result", "baseline (per-record Machine)", "ratio")
    lines: list[tuple[str, ...]] = [head]
    for fig in report.figures:
        target = "-"
        if fig.target is not None:
            target = ("≥ " if fig.higher_is_better else "≤ ") + fmt(fig.target, fig.unit)
        ratio = f"{fig.ratio:,.1f} {fig.ratio_label}" if fig.ratio is not None else "-"
        lines.append(
            (
                fig.name,
                fmt(fig.value, fig.unit),
                target,
                fig.verdict,
                fmt(fig.baseline, fig.unit),
                ratio,
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    rule = "  ".join("-" * w for w in widths)
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in lines]
    misses = sum(fig.verdict == "MISS" for fig in report.figures)
    checked = sum(fig.verdict != "-" for fig in report.figures)
    return [
        rule,
        text[0],
        rule,
        *text[1:],
        rule,
        f"N={report.records:,} leads, one timed pass per path; baseline "
        f"M={report.baseline_records:,} records, best of {report.baseline_repeats}; memory "
        f"traced on {report.memory_sample:,} leads and {report.baseline_memory_sample:,} "
        "baseline records.",
        "Baseline transitions/s is the reference for both the single and the batch rows "
        "(a per-record Machine has no batch path); baseline N totals are projected from M.",
        "Memory rows have no target in the issue (the 1 KiB target is for attach).",
        "Cyclic GC was PAUSED during timed sections (--gc-off): a diagnostic, not the "
        "figure an application sees."
        if report.gc_off
        else "Cyclic GC on during timed sections, as in an application (--gc-off to compare).",
        f"{checked - misses}/{checked} targets met.",
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--records", type=int, default=None, help=f"N leads (default {DEFAULT_RECORDS:,})"
    )
    parser.add_argument(
        "--baseline-records",
        type=int,
        default=None,
        help=f"M records for the per-record Machine baseline (default {DEFAULT_BASELINE_RECORDS:,})",
    )
    parser.add_argument(
        "--memory-sample",
        type=int,
        default=DEFAULT_MEMORY_SAMPLE,
        help=f"records traced for memory, at most N and M (default {DEFAULT_MEMORY_SAMPLE:,})",
    )
    parser.add_argument(
        "--gc-off",
        action="store_true",
        help="pause the cyclic garbage collector during timed sections (diagnostic)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: N={QUICK_RECORDS:,}, M={QUICK_BASELINE_RECORDS:,} unless given",
    )
    args = parser.parse_args(argv)
    if args.records is None:
        args.records = QUICK_RECORDS if args.quick else DEFAULT_RECORDS
    if args.baseline_records is None:
        args.baseline_records = QUICK_BASELINE_RECORDS if args.quick else DEFAULT_BASELINE_RECORDS
    for name in ("records", "baseline_records", "memory_sample"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; always 0 unless it cannot run."""
    args = parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    say("leadflow lifecycle benchmark")
    for line in environment(
        f"transitions {transitions.__version__}, attrs {attrs.__version__}",
        [
            f"gc         {'enabled' if gc.isenabled() else 'disabled'}, thresholds {gc.get_threshold()}"
        ],
    ):
        say(line)
    say(
        f"N={args.records:,} leads, baseline M={args.baseline_records:,}, "
        f"memory sample {min(args.memory_sample, args.records):,}; at={AT.isoformat()}"
    )
    say("")
    started = time.perf_counter()
    report = run(
        args.records, args.baseline_records, args.memory_sample, gc_off=args.gc_off, out=say
    )
    say("")
    for line in summary(report):
        say(line)
    say(f"total run time {time.perf_counter() - started:.1f}s; load average now {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
