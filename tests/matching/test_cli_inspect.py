"""``leadflow db stats`` and ``leadflow db find``, on SQLite and PostgreSQL.

The commands read the real clock (``at`` is now), so the stored moments here are relative
to now.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from lifecycle import (
    Account,
    ConsentValue,
    Contact,
    ContactPointConsent,
    DataConsent,
    Lead,
    Suppression,
    SuppressionReason,
)
from matching import SubmissionHandler
from matching.cli import cli
from matching.store import open_store
from matching.store.stats import store_stats

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``leadflow ARGS`` in-process."""
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", **(env or {})})


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def crm(store_url: str) -> str:
    """A store with Dana as a contact and two leads (one of them closed), an account, a
    deleted lead, suppressions and a contact-point opt-out."""
    with open_store(store_url) as store:
        store.add_many(
            [
                Account(id="acc-1", name="Contoso"),
                Contact(
                    id="con-dana",
                    firstname="Dana",
                    lastname="Reyes",
                    emailaddress1="dana@contoso.com",
                    parentcustomerid="acc-1",
                    consents=[DataConsent(level=4)],
                ),
                Lead(
                    id="lead-dana",
                    firstname="Dana",
                    lastname="Reyes",
                    companyname="Contoso Health",
                    emailaddress1="Dana@Contoso.com",
                    parentcontactid="con-dana",
                    modifiedon=NOW - DAY,
                ),
                Lead.from_codes(
                    2,
                    5,
                    id="lead-dana-old",
                    emailaddress1="dana@contoso.com",
                    modifiedon=NOW - 9 * DAY,
                ),
                Lead(id="lead-sam", emailaddress1="sam@contoso.com"),
                Lead(id="lead-gone", emailaddress1="gone@contoso.com"),
                Contact(id="con-kim", emailaddress1="kim@contoso.com"),
            ]
        )
        store.delete(Lead, "lead-gone", reason="asked to be forgotten", actor="privacy desk")
        store.add_suppression(
            Suppression(
                address="kim@contoso.com",
                reason=SuppressionReason.HARD_BOUNCE,
                since=NOW - DAY,
                until=NOW + 100 * DAY,
            )
        )
        store.add_suppression(
            Suppression(
                address="kim@contoso.com",
                reason=SuppressionReason.SENDING_ACCOUNT_OPT_OUT,
                since=NOW - 3 * DAY,
                sending_account="newsletter",
            )
        )
        store.add_suppression(
            Suppression(
                address="gone@contoso.com",
                reason=SuppressionReason.SPAM_COMPLAINT,
                since=NOW - 400 * DAY,
                until=NOW - 30 * DAY,
            )
        )
        store.record_contact_point_consent(
            ContactPointConsent(
                contact_point="sam@contoso.com",
                value=ConsentValue.OPTED_OUT,
                at=NOW - DAY,
                purpose="commercial",
            )
        )
        SubmissionHandler(store).submit({"emailaddress1": "form@contoso.com", "lastname": "Form"})
    return store_url


class TestStats:
    """``leadflow db stats``."""

    def test_text(self, crm: str) -> None:
        """Plain text when standard output is not a terminal: one table per subject,
        aligned, with labels and Dynamics codes."""
        result = invoke("db", "stats", "--db", crm)
        assert result.exit_code == 0, result.output
        out = result.output
        assert "\x1b[" not in out
        with open_store(crm) as store:
            assert out.startswith(f"Store {store.url}, counted at ")
        assert re.search(r"^  leads\s+4\s+0\s+0$", out, re.M)
        assert re.search(r"^  contacts\s+3\s+0\s+0$", out, re.M)
        assert re.search(r"^  leads\s+Open \(0\)\s+New \(1\)\s+3$", out, re.M)
        assert re.search(r"^  leads\s+Disqualified \(2\)\s+Cannot Contact \(5\)\s+1$", out, re.M)
        assert re.search(r"^  None \(0\)\s+4\s+2$", out, re.M)
        assert re.search(r"^  Marketing \(4\)\s+0\s+1$", out, re.M)
        assert re.search(r"^  global \(every sending account\)\s+2\s+1$", out, re.M)
        assert re.search(r"^  per sending account \(1 account\)\s+1\s+1$", out, re.M)
        assert re.search(r"^  tombstones \(deleted records\)\s+1\s+lead 1$", out, re.M)
        assert re.search(r"^  contact-point consents\s+1\s+email opted-out 1$", out, re.M)
        assert re.search(r"^  interactions\s+1\s+form-submission 1$", out, re.M)

    def test_json_is_the_library_answer(self, crm: str) -> None:
        """``--json`` prints ``store_stats(...).to_dict()`` at the moment it counted."""
        data = as_json(invoke("db", "stats", "--db", crm, "--json"))
        at = dt.datetime.fromisoformat(data["at"])
        with open_store(crm) as store:
            assert data == json.loads(json.dumps(store_stats(store, at=at).to_dict()))
        assert data["records"]["lead"]["total"] == 4
        assert data["suppressions"]["active"] == 2
        assert data["tombstones"]["by_record_type"]["lead"] == 1

    def test_rich_on_a_terminal(self, crm: str) -> None:
        """On a terminal the same tables are drawn by rich."""
        result = invoke("db", "stats", "--db", crm, env={"TTY_COMPATIBLE": "1"})
        assert result.exit_code == 0, result.output
        assert "\x1b[" in result.output
        assert "Records per state and status reason" in result.output
        assert "Cannot Contact (5)" in result.output
        assert "─" in result.output

    def test_empty_store(self, store_url: str) -> None:
        """A migrated empty store counts zeros."""
        data = as_json(invoke("db", "stats", "--db", store_url, "--json"))
        assert [data["records"][k]["total"] for k in ("lead", "contact", "account")] == [0, 0, 0]


class TestFind:
    """``leadflow db find EMAIL``."""

    def test_written_differently(self, crm: str) -> None:
        """An address in another case, with spaces around it, finds every record filed
        under it: leads newest first, then the contact, each with its state, consent,
        marketing answer and links."""
        data = as_json(invoke("db", "find", "  DANA@contoso.COM ", "--db", crm, "--json"))
        assert data["email"] == "  DANA@contoso.COM "
        assert data["key"] == "dana@contoso.com"
        found = [(r["kind"], r["id"]) for r in data["records"]]
        assert found == [
            ("lead", "lead-dana"),
            ("lead", "lead-dana-old"),
            ("contact", "con-dana"),
        ]
        lead, closed, contact = data["records"]
        assert lead["name"] == "Dana Reyes"
        assert (lead["state_label"], lead["statecode"], lead["status_label"]) == ("Open", 0, "New")
        assert lead["marketing"] == {"kind": "commercial", "allowed": True, "reasons": []}
        assert lead["links"] == [
            {"field": "parentcontactid", "target": "contact", "meaning": "parent", "id": "con-dana"}
        ]
        assert (closed["status_label"], closed["statuscode"]) == ("Cannot Contact", 5)
        assert closed["marketing"]["allowed"] is False
        assert [r["code"] for r in closed["marketing"]["reasons"]] == ["lead-disqualified"]
        assert (contact["consent_level"], contact["consent_label"]) == (4, "Marketing")
        assert contact["links"][0]["id"] == "acc-1"
        assert data["tombstones"] == data["suppressions"] == []

    def test_text(self, crm: str) -> None:
        """The text report: one block per record, then the tombstones and suppressions."""
        result = invoke("db", "find", "Dana@Contoso.com", "--db", crm)
        assert result.exit_code == 0, result.output
        out = result.output
        assert "lead lead-dana: Dana Reyes" in out
        assert re.search(r"^  company\s+Contoso Health$", out, re.M)
        assert re.search(
            r"^  state\s+Disqualified \(2\), status reason Cannot Contact \(5\)$", out, re.M
        )
        assert re.search(r"^  marketing email\s+blocked now \(1 reason\):$", out, re.M)
        assert re.search(r"^\s+lead-disqualified: the lead is disqualified", out, re.M)
        assert re.search(r"^  links\s+parent account acc-1 \(parentcustomerid\)$", out, re.M)
        assert re.search(r"^  consent level\s+Marketing \(4\)$", out, re.M)
        assert "No tombstone of dana@contoso.com." in out
        assert "No suppression of dana@contoso.com." in out

    def test_suppressed_address(self, crm: str) -> None:
        """A suppressed address: its record is blocked with the suppression's reason, and
        every suppression is listed, active or not, global or per sending account."""
        data = as_json(invoke("db", "find", "kim@contoso.com", "--db", crm, "--json"))
        (kim,) = data["records"]
        assert kim["marketing"]["allowed"] is False
        assert "suppressed-hard-bounce" in [r["code"] for r in kim["marketing"]["reasons"]]
        assert [(s["reason"], s["sending_account"], s["active"]) for s in data["suppressions"]] == [
            ("suppressed-sending-account", "newsletter", True),
            ("suppressed-hard-bounce", None, True),
        ]
        text = invoke("db", "find", "kim@contoso.com", "--db", crm).output
        assert re.search(
            r"suppressed-hard-bounce\s+\S+ \S+ UTC\s+\S+ \S+ UTC\s+every account\s+yes", text
        )
        assert re.search(r"suppressed-sending-account\s+.+ UTC\s+for ever\s+newsletter\s+yes", text)

    def test_contact_point_opt_out(self, crm: str) -> None:
        """A contact-point opt-out blocks marketing, and says so."""
        data = as_json(invoke("db", "find", "sam@contoso.com", "--db", crm, "--json"))
        (sam,) = data["records"]
        assert [r["code"] for r in sam["marketing"]["reasons"]] == ["contact-point-opted-out"]

    def test_tombstoned_address(self, crm: str) -> None:
        """A deleted record's address: no record, its tombstone, and its lapsed suppression."""
        data = as_json(invoke("db", "find", "GONE@contoso.com", "--db", crm, "--json"))
        assert data["records"] == []
        (stone,) = data["tombstones"]
        assert (stone["record_type"], stone["record_id"]) == ("lead", "lead-gone")
        assert (stone["reason"], stone["actor"]) == ("asked to be forgotten", "privacy desk")
        assert [(s["reason"], s["active"]) for s in data["suppressions"]] == [
            ("suppressed-spam-complaint", False)
        ]
        text = invoke("db", "find", "gone@contoso.com", "--db", crm).output
        assert "No lead, contact or account has the address gone@contoso.com." in text
        assert re.search(
            r"^  lead\s+lead-gone\s+.+ UTC\s+asked to be forgotten\s+privacy desk$", text, re.M
        )
        assert re.search(r"suppressed-spam-complaint\s+.+\s+every account\s+no$", text, re.M)

    def test_no_match_exits_0(self, crm: str) -> None:
        """Nothing has the address: it says so, exit code 0; ``--json`` gives empty lists."""
        result = invoke("db", "find", "nobody@example.org", "--db", crm)
        assert result.exit_code == 0, result.output
        assert "No lead, contact or account has the address nobody@example.org." in result.output
        assert "No tombstone of nobody@example.org." in result.output
        data = as_json(invoke("db", "find", "nobody@example.org", "--db", crm, "--json"))
        assert data["records"] == data["tombstones"] == data["suppressions"] == []

    @pytest.mark.parametrize("email", ["not-an-email", "", "test@example.com"])
    def test_not_an_address_is_a_usage_error(self, crm: str, email: str) -> None:
        """Something no record can be filed under is a usage error (exit code 2)."""
        result = invoke("db", "find", email, "--db", crm)
        assert result.exit_code == 2
        assert "Invalid value for 'EMAIL'" in result.output
        assert "is not an email address leadflow can look up" in result.output

    def test_rich_on_a_terminal(self, crm: str) -> None:
        """On a terminal the report is drawn by rich."""
        result = invoke("db", "find", "dana@contoso.com", "--db", crm, env={"TTY_COMPATIBLE": "1"})
        assert result.exit_code == 0, result.output
        assert "\x1b[" in result.output
        assert "lead-dana-old" in result.output


class TestMissingDatabase:
    """Neither command creates a store: a missing SQLite file is the message ``db export``
    gives, exit code 1, and no file appears."""

    @pytest.mark.parametrize(
        "command", [["stats"], ["stats", "--json"], ["find", "dana@contoso.com"]], ids=" ".join
    )
    def test_missing_file(self, tmp_path: Path, command: list[str]) -> None:
        missing = tmp_path / "nothere.db"
        expected = invoke("db", "export", "lead", str(tmp_path / "x.csv"), "--db", str(missing))
        result = invoke("db", *command, "--db", str(missing))
        assert result.exit_code == expected.exit_code == 1
        assert result.output == expected.output
        assert result.output.startswith(f"Error: no database at {missing}")
        assert not missing.exists()

    def test_unreachable_server_is_one_line(self) -> None:
        """A PostgreSQL server that does not answer: one error line, password hidden."""
        url = "postgresql://nobody:s3cret@127.0.0.1:1/crm"
        result = invoke("db", "stats", "--db", url)
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot open the store at postgresql+psycopg://")
        assert "s3cret" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_listed_in_db_help() -> None:
    """``leadflow db --help`` lists both commands."""
    result = invoke("db", "--help")
    assert result.exit_code == 0
    assert re.search(r"^  find\s", result.output, re.M)
    assert re.search(r"^  stats\s", result.output, re.M)


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    """Every command under ``group``, as ``"db stats"``, groups included."""
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        here = (*path, name)
        found.append((" ".join(here), command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, here))
    return found


@pytest.mark.parametrize(("path", "command"), _commands(cli), ids=lambda v: getattr(v, "name", v))
def test_reference_page_documents_every_command_and_option(
    path: str, command: click.Command
) -> None:
    """docs/reference/cli.md has a section per command naming every option it takes: a
    command or option added without a line there fails here."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md").read_text()
    sections = re.split(r"^#{2,3} ", page, flags=re.M)
    (section,) = [s for s in sections if s.startswith(f"`leadflow {path}`\n")]
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            flag = max(param.opts, key=len)
            assert flag in section, f"{flag} of `leadflow {path}` is not documented"
