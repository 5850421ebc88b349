"""``leadflow db stats`` and ``leadflow db find``: look into a store without writing Python.

Both only read, in one read-only transaction, and open the store as ``db export`` does: a
SQLite file that does not exist is an error, not a new empty store. Their report is rich
tables on a terminal and the same tables as plain, aligned text otherwise; ``--json``
prints one JSON object instead. Nothing heavy (rich, the store) is imported until a command
runs.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import click

from lifecycle.decisions import cite
from lifecycle.fields import moment_text
from matching.cli.common import REPORT_WIDTH, busy_option, db_option, open_store_at

if TYPE_CHECKING:
    from lifecycle.records import Record
    from matching.store import Transaction
    from matching.store.stats import StoreStats

__all__ = ["db_find", "db_stats"]

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the report as one JSON object."
)


# --- reports as blocks of rows -------------------------------------------------------------


@attrs.frozen
class Block:
    """One table of a report: a title, column headers (none for a list of ``name value``
    lines) and rows of text; ``numeric`` columns are right-aligned."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()


def _print(blocks: Sequence[Block | str]) -> None:
    """``blocks`` (a ``str`` is a line of its own) as rich tables on a terminal, as plain
    aligned text otherwise."""
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else REPORT_WIDTH, highlight=False)
    if console.is_terminal:
        _print_rich(console, blocks)
    else:
        click.echo("\n".join(_plain(blocks)))


def _gap(previous: Block | str | None, block: Block | str) -> bool:
    """Whether a blank line goes between ``previous`` and ``block``: between any two but
    two lines of text."""
    return previous is not None and not (isinstance(previous, str) and isinstance(block, str))


def _print_rich(console: Any, blocks: Sequence[Block | str]) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    previous: Block | str | None = None
    for block in blocks:
        # A table with a header ends in a blank line of its own.
        if _gap(previous, block) and not (isinstance(previous, Block) and any(previous.columns)):
            console.print()
        previous = block
        if isinstance(block, str):
            console.print(escape(block))
            continue
        headed = any(block.columns)
        table = Table(
            title=escape(block.title),
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD if headed else None,
            show_header=headed,
            padding=(0, 1) if headed else (0, 1, 0, 2),
        )
        width = max((len(row) for row in block.rows), default=len(block.columns))
        for i in range(width):
            header = block.columns[i] if i < len(block.columns) else ""
            table.add_column(escape(header), justify="right" if i in block.numeric else "left")
        for row in block.rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)


def _plain(blocks: Sequence[Block | str]) -> list[str]:
    """The blocks as text: a title line, then a header and rows aligned in columns, indented."""
    lines: list[str] = []
    previous: Block | str | None = None
    for block in blocks:
        if _gap(previous, block):
            lines.append("")
        previous = block
        if isinstance(block, str):
            lines.append(block)
            continue
        lines.append(block.title)
        shown = [block.columns, *block.rows] if any(block.columns) else list(block.rows)
        count = max((len(row) for row in shown), default=0)
        widths = [
            max((len(row[i]) for row in shown if i < len(row)), default=0) for i in range(count)
        ]
        for row in shown:
            cells = [
                cell.rjust(widths[i]) if i in block.numeric else cell.ljust(widths[i])
                for i, cell in enumerate(row)
            ]
            lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _n(count: int) -> str:
    return f"{count:,}"


def _count(count: int, noun: str) -> str:
    """``1 reason``, ``2 reasons``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _moment(value: dt.datetime | None) -> str:
    """``2026-01-05 09:00 UTC``; empty when missing."""
    return "" if value is None else f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else moment_text(value)


def _echo_json(data: object) -> None:
    """``data`` as indented JSON; date-times as ISO 8601 in UTC."""
    import json

    def moment(value: object) -> str | None:
        if isinstance(value, dt.datetime):
            return _iso(value)
        raise TypeError(f"{type(value).__name__} is not JSON")

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=moment))


# --- leadflow db stats ---------------------------------------------------------------------


@click.command(name="stats")
@db_option
@busy_option
@json_option
def db_stats(url: str | None, busy_timeout: float, as_json: bool) -> None:
    """Count what the store holds, without loading a record.

    Records per kind, per state and status reason (with their Dynamics codes) and,
    for leads and contacts, per current data-consent level (the highest consent
    that is Active and not expired now); tombstones of deleted records;
    suppressions, global and per sending account, and how many are active now;
    contact-point consents, interactions, claims and history events. Counted in
    the database, in one read-only transaction.
    """
    from matching.store.stats import store_stats

    with open_store_at(url, create=False, busy_timeout=busy_timeout) as store:
        stats = store_stats(store)
    if as_json:
        _echo_json(stats.to_dict())
    else:
        _print(stats_report(stats))


_PLURAL = {"lead": "leads", "contact": "contacts", "account": "accounts"}


def _code(label: str, code: int) -> str:
    return f"{label} ({code})"


def _split(counts: Iterable[tuple[str, int]]) -> str:
    """``lead 3, contact 1``; the zeros left out."""
    return ", ".join(f"{name} {_n(n)}" for name, n in counts if n) or "-"


def stats_report(stats: StoreStats) -> list[Block | str]:
    """What ``leadflow db stats`` prints, as blocks."""
    records = stats.records
    blocks: list[Block | str] = [f"Store {stats.store}, counted at {_moment(stats.at)}"]
    blocks.append(
        Block(
            "Records",
            ("kind", "total", "merged", "anonymized"),
            tuple(
                (_PLURAL.get(k, k), _n(s.total), _n(s.merged), _n(s.anonymized))
                for k, s in records.items()
            ),
            frozenset({1, 2, 3}),
        )
    )
    blocks.append(
        Block(
            "Records per state and status reason",
            ("kind", "state", "status reason", "records"),
            tuple(
                (
                    _PLURAL.get(k, k),
                    _code(c.state_label, c.statecode),
                    _code(c.status_label, c.statuscode),
                    _n(c.count),
                )
                for k, s in records.items()
                for c in s.statuses
            ),
            frozenset({3}),
        )
    )
    consenting = {k: s.consent_levels for k, s in records.items() if s.consent_levels is not None}
    if consenting:
        levels = next(iter(consenting.values()))
        blocks.append(
            Block(
                "Data-consent level now",
                ("level", *(_PLURAL.get(k, k) for k in consenting)),
                tuple(
                    (
                        _code(level.label, int(level.level)),
                        *(_n(counts[i].count) for counts in consenting.values()),
                    )
                    for i, level in enumerate(levels)
                ),
                frozenset(range(1, len(consenting) + 1)),
            )
        )
    s = stats.suppressions
    blocks.append(
        Block(
            "Suppressions (active: in force now)",
            ("suppressions", "total", "active"),
            (
                ("all", _n(s.total), _n(s.active)),
                ("global (every sending account)", _n(s.global_total), _n(s.global_active)),
                (
                    f"per sending account ({_count(s.sending_accounts, 'account')})",
                    _n(s.account_total),
                    _n(s.account_active),
                ),
                *((f"reason {reason}", _n(t), _n(a)) for reason, (t, a) in s.by_reason.items()),
                ("addresses a global suppression blocks", "", _n(s.addresses_blocked)),
            ),
            frozenset({1, 2}),
        )
    )
    contact_points = ", ".join(
        f"{channel} {_split(values.items())}"
        for channel, values in stats.contact_point_consents.items()
        if any(values.values())
    )
    blocks.append(
        Block(
            "Other tables",
            ("table", "rows", "of which"),
            (
                (
                    "tombstones (deleted records)",
                    _n(sum(stats.tombstones.values())),
                    _split(stats.tombstones.items()),
                ),
                (
                    "contact-point consents",
                    _n(stats.contact_point_total),
                    contact_points or "-",
                ),
                (
                    "interactions",
                    _n(sum(stats.interactions.values())),
                    _split(stats.interactions.items()),
                ),
                ("claims", _n(sum(stats.claims.values())), _split(stats.claims.items())),
                (
                    "history events",
                    _n(sum(stats.history_events.values())),
                    _split(stats.history_events.items()),
                ),
            ),
            frozenset({1}),
        )
    )
    return blocks


# --- leadflow db find ----------------------------------------------------------------------


@attrs.frozen
class Found:
    """What ``leadflow db find`` found for one address, read in one transaction."""

    email: str
    key: str
    """The address normalised, as the store files and looks it up."""
    at: dt.datetime
    store: str
    records: tuple[dict[str, Any], ...]
    tombstones: tuple[dict[str, Any], ...]
    suppressions: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain values (date-times as they are): what ``--json`` prints."""
        return {
            "store": self.store,
            "at": self.at,
            "email": self.email,
            "key": self.key,
            "records": list(self.records),
            "tombstones": list(self.tombstones),
            "suppressions": list(self.suppressions),
        }


@click.command(name="find")
@click.argument("email")
@db_option
@busy_option
@json_option
def db_find(email: str, url: str | None, busy_timeout: float, as_json: bool) -> None:
    """Every lead, contact and account whose email is EMAIL, however it is written.

    EMAIL is normalised as the store files addresses (case, spaces, <...>,
    mailto:), so " Dana@CONTOSO.com" finds dana@contoso.com. Each record shows
    its id, name, state and status reason, current consent level, whether
    marketing may email it now (commercial email under the default policy, with
    its suppressions and contact-point consents; every reason when not) and the
    records it links to. The address's tombstones and suppressions follow.

    Exits with 0 when nothing has the address too (it says so; --json gives
    empty lists); an EMAIL that is not an address is a usage error (exit code 2).
    """
    from lifecycle.clock import system_clock
    from matching import normalize

    key = normalize.email(email)
    if key is None:
        raise click.BadParameter(
            f"{email!r} is not an email address leadflow can look up "
            "(name@example.com; a placeholder such as test@example.com is never filed).",
            param_hint="'EMAIL'",
        )
    at = system_clock()
    with (
        open_store_at(url, create=False, busy_timeout=busy_timeout) as store,
        store.transaction(readonly=True) as tx,
    ):
        found = _find(tx, email, key, at, store.url)
    if as_json:
        _echo_json(found.to_dict())
    else:
        _print(find_report(found))


def _find(tx: Transaction, email: str, key: str, at: dt.datetime, url: str) -> Found:
    from lifecycle.records import RECORD_TYPES

    records = [r for kind in RECORD_TYPES.values() for r in tx.find(kind, "emailaddress1", key)]
    suppressions = tx.suppressions_for([key])
    entries = sorted(suppressions, key=lambda e: (e.since, e.reason.value))
    return Found(
        email=email,
        key=key,
        at=at,
        store=url,
        records=tuple(_record(tx, record, at, suppressions) for record in records),
        tombstones=tuple(
            {
                "record_type": t.record_type,
                "record_id": t.record_id,
                "deletedon": t.deletedon,
                "reason": t.reason,
                "actor": t.actor,
            }
            for t in tx.tombstones_for(key)
        ),
        suppressions=tuple(
            {
                "reason": e.reason.value,
                "since": e.since,
                "until": e.until,
                "sending_account": e.sending_account,
                "active": e.applies(at, e.sending_account),
            }
            for e in entries
        ),
    )


def _record(tx: Transaction, record: Record, at: dt.datetime, suppressions: Any) -> dict[str, Any]:
    """One found record as plain values: who it is, its state, consent, whether marketing
    may email it now and why not, and its links."""
    from lifecycle.eligibility import MessageKind, can_send, consent_level_at
    from lifecycle.records import TYPE_NAME, Account
    from lifecycle.relations import relations_of
    from matching.store.tables.consents import contact_points

    kind = TYPE_NAME[type(record)]
    decision = can_send(
        record,
        MessageKind.COMMERCIAL,
        at=at,
        suppressions=suppressions,
        contact_points=tx.contact_point_ledger(contact_points(record)),
    )
    level = None if isinstance(record, Account) else consent_level_at(record, at)
    name = record.name if isinstance(record, Account) else getattr(record, "fullname", None)
    links = [
        {
            "field": relation.field,
            "target": relation.target,
            "meaning": relation.meaning.value,
            "id": getattr(record, relation.field),
        }
        for relation in relations_of(kind)
        if getattr(record, relation.field, None) is not None
    ]
    unique = {(link["field"], link["id"]): link for link in links}
    assert record.statecode is not None
    return {
        "kind": kind,
        "id": record.id,
        "name": name,
        "companyname": getattr(record, "companyname", None),
        "emailaddress1": record.emailaddress1,
        "state": record.state.value,
        "statecode": record.statecode,
        "state_label": record.state.label,
        "status": record.status.value,
        "statuscode": record.statuscode,
        "status_label": record.status.label,
        "consent_level": None if level is None else int(level),
        "consent_label": None if level is None else level.name.title(),
        "merged": record.merged,
        "anonymized": record.anonymized,
        "createdon": record.createdon,
        "modifiedon": record.modifiedon,
        "marketing": {
            "kind": decision.kind.value,
            "allowed": decision.allowed,
            "reasons": [{"code": r.code.value, "text": r.text} for r in decision.reasons],
        },
        "links": list(unique.values()),
    }


def find_report(found: Found) -> list[Block | str]:
    """What ``leadflow db find`` prints, as blocks."""
    blocks: list[Block | str] = [f"Looked up {found.key} in {found.store} at {_moment(found.at)}"]
    if not found.records:
        blocks.append(f"No lead, contact or account has the address {found.key}.")
    for r in found.records:
        rows: list[tuple[str, ...]] = []
        if r["companyname"]:
            rows.append(("company", r["companyname"]))
        rows.append(("email", r["emailaddress1"] or ""))
        rows.append(
            (
                "state",
                f"{_code(r['state_label'], r['statecode'])}, status reason "
                f"{_code(r['status_label'], r['statuscode'])}",
            )
        )
        if r["consent_level"] is not None:
            rows.append(("consent level", _code(r["consent_label"], r["consent_level"])))
        marketing = r["marketing"]
        if marketing["allowed"]:
            rows.append(("marketing email", "allowed now"))
        else:
            reasons = marketing["reasons"]
            rows.append(("marketing email", f"blocked now ({_count(len(reasons), 'reason')}):"))
            rows.extend(("", f"{reason['code']}: {reason['text']}") for reason in reasons)
        for i, link in enumerate(r["links"]):
            rows.append(
                (
                    "" if i else "links",
                    f"{link['meaning']} {link['target']} {link['id']} ({link['field']})",
                )
            )
        flags = [name for name in ("merged", "anonymized") if r[name]]
        if flags:
            rows.append(("flags", ", ".join(flags)))
        if r["modifiedon"]:
            rows.append(("modified", _moment(r["modifiedon"])))
        title = f"{r['kind']} {r['id']}" + (f": {r['name']}" if r["name"] else "")
        blocks.append(Block(title, ("", ""), tuple(rows)))
    if found.tombstones:
        blocks.append(
            Block(
                f"Tombstones of {found.key} (deleted records; not recreated {cite('D14')})",
                ("record type", "record id", "deleted on", "reason", "actor"),
                tuple(
                    (
                        t["record_type"],
                        t["record_id"],
                        _moment(t["deletedon"]),
                        t["reason"] or "",
                        t["actor"] or "",
                    )
                    for t in found.tombstones
                ),
            )
        )
    else:
        blocks.append(f"No tombstone of {found.key}.")
    if found.suppressions:
        blocks.append(
            Block(
                f"Suppressions of {found.key}",
                ("reason", "since", "until", "sending account", "active now"),
                tuple(
                    (
                        s["reason"],
                        _moment(s["since"]),
                        _moment(s["until"]) if s["until"] else "for ever",
                        s["sending_account"] or "every account",
                        "yes" if s["active"] else "no",
                    )
                    for s in found.suppressions
                ),
            )
        )
    else:
        blocks.append(f"No suppression of {found.key}.")
    return blocks
