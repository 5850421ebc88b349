"""``leadflow submit FILE.jsonl``: replaying form submissions, on SQLite and PostgreSQL;
and the demo's form-submission section."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lifecycle import Contact, Lead, LeadStatus
from matching import CONTACT_BY_EMAIL, PRESETS, MatchStrategy, Mode, Target, open_store
from matching.cli import cli
from matching.cli.outcomes import OUTCOME_COLUMNS, SHOWN_SUBMIT_REJECTIONS
from matching.cli.submit import MODES
from matching.demo.submissions import SUBMISSIONS, tour_submissions

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")

ANA = {
    "firstname": "Ana",
    "lastname": "Ruiz",
    "emailaddress1": "ana.ruiz@contoso.example",
    "jobtitle": "Nurse",
    "msdyncrm_marketingpageid": "page-1",
}
ANA_AGAIN = {**ANA, "emailaddress1": " ANA.Ruiz@Contoso.example", "jobtitle": "Head nurse"}
ANA_OTHER_PAGE = {
    "firstname": "Ana",
    "lastname": "Ruiz",
    "emailaddress1": "ana.ruiz@contoso.example",
    "msdyncrm_marketingpageid": "page-2",
}
SAM = {"firstname": "Sam", "lastname": "Lee", "emailaddress1": "sam@fabrikam.example"}
BAD_EMAIL = {"emailaddress1": "sam@@fabrikam", "consent_level": 9}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``leadflow ARGS`` in-process."""
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", **(env or {})})


def flat(text: str) -> str:
    """``text`` with runs of whitespace collapsed, so table layout does not matter."""
    return " ".join(text.split())


def jsonl(path: Path, *lines: Mapping[str, Any] | str) -> Path:
    """Write ``lines`` to ``path``: mappings as JSON objects, strings as they are."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def submit_json(*args: str) -> dict[str, Any]:
    """``leadflow submit ARGS --json``, its exit code checked, the summary parsed."""
    result = invoke("submit", *args, "--json")
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A file of good submissions, a blank line and every kind of bad line."""
    return jsonl(
        tmp_path / "submissions.jsonl",
        ANA,  # 1: contact and lead created
        ANA_AGAIN,  # 2: both updated
        "not json at all",  # 3
        "",  # 4: blank, skipped
        ANA_OTHER_PAGE,  # 5: contact updated, second lead created
        "[1, 2]",  # 6: not an object
        BAD_EMAIL,  # 7: two problems
        SAM,  # 8: created
    )


class TestSummary:
    """What one replay counts and prints."""

    def test_counts(self, store_url: str, mixed: Path) -> None:
        """Created, updated, linked, interactions and rejected lines are counted; a bad line
        does not stop the run, and exit code is 0."""
        summary = submit_json(str(mixed), "--db", store_url)
        assert (summary["lines"], summary["handled"], summary["rejected"]) == (7, 4, 3)
        assert summary["contacts"] == {
            "created": 2,
            "updated": 2,
            "matched-closed": 0,
            "blocked": 0,
            "none": 0,
        }
        assert summary["leads"] == {"created": 3, "updated": 1, "blocked": 0, "none": 0}
        assert (summary["linked"], summary["interactions"]) == (4, 4)
        assert summary["rejected_fields"] == {
            "consent_level": 1,
            "emailaddress1": 1,
            "submission": 2,
        }
        assert [(r["line"], r["field"]) for r in summary["rejections"]] == [
            (3, "submission"),
            (6, "submission"),
            (7, "emailaddress1"),
            (7, "consent_level"),
        ]
        with open_store(store_url) as store:
            assert (store.count(Contact), store.count(Lead)) == (2, 3)
            (ana,) = store.find(Contact, "emailaddress1", ANA["emailaddress1"])
            assert ana.jobtitle == "Head nurse"
            assert len(store.interactions(contactid=ana.id)) == 3

    def test_readable_summary(self, mixed: Path, tmp_path: Path) -> None:
        """The table, the rejected lines with line number, field and reason, exit code 0."""
        result = invoke("submit", str(mixed), "--db", str(tmp_path / "crm.db"))
        assert result.exit_code == 0, result.output
        output = flat(result.output)
        assert "7 submissions read, 4 handled, 3 rejected" in output
        assert (
            "Mode contacts-and-leads; contact strategy contact-by-email, "
            "lead strategy lead-by-email-and-page." in output
        )
        assert "contacts 2 2 0 0 -" in output
        assert "leads 3 1 - 0 4" in output
        assert "Interactions stored: 4" in output
        assert "Rejected lines (3), nothing written for them:" in output
        assert "line 3, submission: is not JSON: Expecting value (column 1)." in output
        assert "line 6, submission: must be a JSON object (got list)." in output
        assert "line 7, emailaddress1: must be an email address" in output
        assert "line 7, consent_level: must be a whole number 0-5 (got 9)." in output

    def test_a_second_replay_updates(self, store_url: str, mixed: Path) -> None:
        """Replaying the same file finds every record again: nothing is created twice."""
        submit_json(str(mixed), "--db", store_url)
        again = submit_json(str(mixed), "--db", store_url)
        assert again["contacts"]["created"] == again["leads"]["created"] == 0
        assert again["contacts"]["updated"] == again["leads"]["updated"] == 4

    def test_warnings_and_duplicates(self, store_url: str, tmp_path: Path) -> None:
        """A deleted person's address is blocked (D14), a closed lead is left as it is and a
        new one created, two contacts with one address are reported as duplicates (D3)."""
        with open_store(store_url) as store:
            gone = Lead(emailaddress1="gone@example.org")
            store.add(gone)
            store.delete(Lead, gone.id, reason="asked to be removed", at=AT)
            closed = Lead(id="lead-closed", emailaddress1="bea@example.net")
            closed.disqualify(LeadStatus.CANNOT_CONTACT, at=AT)
            store.add(closed)
            for days in (2, 1):
                stamp = AT - dt.timedelta(days=days)
                store.add(Contact(emailaddress1="twin@example.com", modifiedon=stamp))
        path = jsonl(
            tmp_path / "s.jsonl",
            {"emailaddress1": "Gone@example.org", "firstname": "Gus"},
            {"emailaddress1": "bea@example.net"},
            {"emailaddress1": "twin@example.com"},
        )
        summary = submit_json(str(path), "--db", store_url)
        assert summary["leads"] == {"created": 2, "updated": 0, "blocked": 1, "none": 0}
        assert summary["warnings"] == {"lead-closed": 1, "tombstoned": 1}
        assert summary["probable_duplicates"] == 1
        assert summary["interactions"] == 2
        again = invoke("submit", str(path), "--db", store_url)
        output = flat(again.output)
        assert (
            "tombstoned 1 address of a deleted record: no record created for it (decision D14: "
            "a person deleted on request is not re-created)"
        ) in output
        assert "lead-closed" not in output  # Bea's new lead is found this time
        assert "leads 0 2 - 1 2" in output
        with open_store(store_url) as store:
            assert store.get(Lead, "lead-closed").status is LeadStatus.CANNOT_CONTACT
            assert store.find(Contact, "emailaddress1", "gone@example.org") == []

    def test_many_rejections_are_cut_short(self, tmp_path: Path) -> None:
        """At most SHOWN_SUBMIT_REJECTIONS lines are listed; the rest are counted."""
        count = SHOWN_SUBMIT_REJECTIONS + 3
        path = jsonl(tmp_path / "s.jsonl", *(["{"] * count), SAM)
        result = invoke("submit", str(path), "--db", str(tmp_path / "crm.db"))
        assert result.exit_code == 0, result.output
        assert f"line {SHOWN_SUBMIT_REJECTIONS}, submission" in result.output
        assert f"line {SHOWN_SUBMIT_REJECTIONS + 1}, submission" not in result.output
        assert "... and 3 more lines (--outcomes FILE.csv lists them all)" in result.output
        assert f"{count} rejected" in flat(result.output)
        assert "1 handled" in result.output

    def test_lines_that_are_not_text_or_json(self, tmp_path: Path) -> None:
        """A byte-order mark is ignored; a line that is not UTF-8, a JSON constant too large
        for a number, and deep nesting are rejected lines, not crashes."""
        path = tmp_path / "s.jsonl"
        path.write_bytes(
            b"\xef\xbb\xbf"
            + json.dumps(SAM).encode()
            + b"\n"
            + b'{"lastname": "R\xe9yes"}\n'
            + b'{"emailaddress1": "x@example.com", "score": 1e999}\n'
            + b"[" * 100_000
            + b"\n"
        )
        summary = submit_json(str(path), "--db", str(tmp_path / "crm.db"))
        assert (summary["handled"], summary["rejected"]) == (1, 3)
        assert [r["line"] for r in summary["rejections"]] == [2, 3, 4]
        assert summary["rejections"][0]["reason"] == "is not UTF-8 text."

    @pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
    def test_exit_code(self, mixed: Path, tmp_path: Path, strict: bool, code: int) -> None:
        """Rejections exit 0 unless --strict (then 1, as `db import` does)."""
        args = ["--strict"] if strict else []
        result = invoke("submit", str(mixed), "--db", str(tmp_path / "crm.db"), *args)
        assert result.exit_code == code, result.output
        assert "3 rejected" in result.output

    def test_strict_without_rejections_is_0(self, tmp_path: Path) -> None:
        path = jsonl(tmp_path / "s.jsonl", ANA, SAM)
        result = invoke("submit", str(path), "--db", str(tmp_path / "crm.db"), "--strict")
        assert result.exit_code == 0, result.output

    def test_progress_bar_on_a_terminal(self, mixed: Path, tmp_path: Path) -> None:
        """On a terminal a progress bar is drawn and the summary still printed."""
        result = invoke(
            "submit", str(mixed), "--db", str(tmp_path / "crm.db"), env={"FORCE_COLOR": "1"}
        )
        assert result.exit_code == 0, result.output
        assert "4 handled" in flat(result.stdout)

    def test_default_database_is_leadflow_db_in_cwd(
        self, mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        summary = submit_json(str(mixed))
        assert summary["store"] == "sqlite:///leadflow.db"
        assert (tmp_path / "leadflow.db").exists()


class TestOutcomesFile:
    """``--outcomes FILE``: one line per submission, CSV or JSON Lines by extension."""

    def test_csv(self, store_url: str, mixed: Path, tmp_path: Path) -> None:
        target = tmp_path / "out" / "outcomes.csv"
        result = invoke("submit", str(mixed), "--db", store_url, "--outcomes", str(target))
        assert result.exit_code == 0, result.output
        assert f"wrote one line per submission to {target}" in result.output
        rows = read_csv(target)
        assert tuple(rows[0]) == OUTCOME_COLUMNS
        assert [(r["line"], r["status"]) for r in rows] == [
            ("1", "handled"),
            ("2", "handled"),
            ("3", "rejected"),
            ("5", "handled"),
            ("6", "rejected"),
            ("7", "rejected"),
            ("8", "handled"),
        ]
        first, second = rows[0], rows[1]
        assert (first["contact_action"], first["lead_action"]) == ("created", "created")
        assert (second["contact_action"], second["lead_action"]) == ("updated", "updated")
        assert second["contact_id"] == first["contact_id"]
        assert second["lead_id"] == first["lead_id"]
        assert second["contact_match"] == "contact-by-email (lookup)"
        assert second["lead_match"] == "lead-by-email-and-page (child-lead)"
        assert rows[3]["lead_id"] != first["lead_id"]
        assert rows[5]["rejections"] == (
            "emailaddress1: must be an email address like name@example.com "
            "(got 'sam@@fabrikam'); consent_level: must be a whole number 0-5 (got 9)"
        )
        assert rows[5]["contact_action"] == rows[5]["contact_id"] == ""
        with open_store(store_url) as store:
            assert store.get(Lead, first["lead_id"]).parentcontactid == first["contact_id"]
            (interaction,) = store.interactions(leadid=rows[3]["lead_id"])
            assert interaction.id == rows[3]["interaction_id"]

    @pytest.mark.parametrize("suffix", ["jsonl", "ndjson"])
    def test_jsonl(self, mixed: Path, tmp_path: Path, suffix: str) -> None:
        target = tmp_path / f"outcomes.{suffix}"
        result = invoke(
            "submit", str(mixed), "--db", str(tmp_path / "crm.db"), "--outcomes", str(target)
        )
        assert result.exit_code == 0, result.output
        rows = read_jsonl(target)
        assert [r["line"] for r in rows] == [1, 2, 3, 5, 6, 7, 8]
        assert all(tuple(r) == OUTCOME_COLUMNS for r in rows)
        assert rows[1]["lead_match"] == {
            "strategy": "lead-by-email-and-page",
            "fields": ["emailaddress1", "msdyncrm_marketingpageid"],
            "via": "child-lead",
            "score": None,
            "similarities": {},
        }
        assert rows[2]["status"] == "rejected"
        assert rows[2]["contact_action"] is None
        assert rows[2]["rejections"] == [
            {"field": "submission", "reason": "is not JSON: Expecting value (column 1)."}
        ]
        assert [p["field"] for p in rows[5]["rejections"]] == ["emailaddress1", "consent_level"]

    def test_warnings_and_duplicates_in_jsonl(self, tmp_path: Path) -> None:
        """Warnings carry their code and text; duplicates their type and id."""
        db = str(tmp_path / "crm.db")
        with open_store(db) as store:
            twins = [
                Contact(emailaddress1="twin@example.com", modifiedon=AT - dt.timedelta(days=d))
                for d in (2, 1)
            ]
            store.add_many(twins)
            closed = Lead(emailaddress1="twin@example.com")
            closed.disqualify(at=AT)
            store.add(closed)
        target = tmp_path / "outcomes.jsonl"
        path = jsonl(tmp_path / "s.jsonl", {"emailaddress1": "twin@example.com"})
        invoke("submit", str(path), "--db", db, "--outcomes", str(target))
        (row,) = read_jsonl(target)
        assert row["contact_id"] == twins[1].id
        assert [(d["record_type"], d["record_id"]) for d in row["duplicates"]] == [
            ("contact", twins[0].id)
        ]
        assert [w["code"] for w in row["warnings"]] == ["lead-closed"]
        assert "Disqualified" in row["warnings"][0]["text"]

    def test_unknown_extension_is_a_usage_error(self, mixed: Path, tmp_path: Path) -> None:
        db = tmp_path / "crm.db"
        result = invoke("submit", str(mixed), "--db", str(db), "--outcomes", "out.txt")
        assert result.exit_code == 2
        assert "use .csv, .jsonl or .ndjson" in result.output
        assert not db.exists()

    def test_unwritable_outcomes_is_one_line(self, mixed: Path, tmp_path: Path) -> None:
        (tmp_path / "blocker").write_text("a file, not a directory")
        target = tmp_path / "blocker" / "out.csv"
        result = invoke(
            "submit", str(mixed), "--db", str(tmp_path / "x.db"), "--outcomes", str(target)
        )
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot write")
        assert len(result.output.strip().splitlines()) == 1


class TestUsageErrors:
    """A missing file, an unusable strategy or policy: exit code 2 and nothing written."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["absent.jsonl"], "'absent.jsonl' does not exist"),
            (["FILE", "--contact-strategy", "nosuch"], "'nosuch' is neither a preset"),
            (["FILE", "--contact-strategy", "lead-by-email"], "'lead-by-email' finds leads"),
            (["FILE", "--lead-strategy", "contact-fuzzy"], "'contact-fuzzy' finds contacts"),
            (["FILE", "--contact-strategy", "bad.json"], "'bogus' must be one of the keys"),
            (["FILE", "--lead-strategy", "junk.json"], "'json' must be valid JSON"),
            (["FILE", "--policy", "bad-policy.json"], "must be one of ['contacts-and-leads'"),
            (["FILE", "--policy", "junk.json"], "is not JSON"),
            (["FILE", "--policy", "list.json"], "must hold a JSON object (got list)"),
            (["FILE", "--policy", "absent.json"], "does not exist"),
            (["FILE", "--mode", "sometimes"], "Invalid value for '--mode'"),
        ],
        ids=[
            "missing file",
            "unknown preset",
            "lead preset for contacts",
            "contact preset for leads",
            "unknown strategy key",
            "strategy not JSON",
            "bad policy value",
            "policy not JSON",
            "policy not an object",
            "missing policy",
            "mode",
        ],
    )
    def test_nothing_written(
        self,
        tmp_path: Path,
        mixed: Path,
        monkeypatch: pytest.MonkeyPatch,
        args: list[str],
        message: str,
    ) -> None:
        monkeypatch.chdir(tmp_path)
        Path("bad.json").write_text(
            json.dumps({**CONTACT_BY_EMAIL.to_dict(), "bogus": 1}), encoding="utf-8"
        )
        Path("junk.json").write_text("{not json", encoding="utf-8")
        Path("bad-policy.json").write_text('{"mode": "sometimes"}', encoding="utf-8")
        Path("list.json").write_text("[]", encoding="utf-8")
        before = sorted(p.name for p in tmp_path.iterdir())
        resolved = [str(mixed) if a == "FILE" else a for a in args]
        result = invoke("submit", *resolved, "--db", "crm.db", "--outcomes", "out.csv")
        assert result.exit_code == 2, result.output
        assert message in flat(result.output)
        assert len([x for x in result.output.splitlines() if x.startswith("Error:")]) == 1
        assert "Traceback" not in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == before

    def test_unreachable_store_is_one_line(self, mixed: Path, tmp_path: Path) -> None:
        """A store that does not answer: one error line, password hidden, no outcomes file."""
        target = tmp_path / "out.csv"
        url = "postgresql://nobody:s3cret@127.0.0.1:1/crm"
        result = invoke("submit", str(mixed), "--db", url, "--outcomes", str(target))
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot open the store at postgresql+psycopg://")
        assert "s3cret" not in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not target.exists()


class TestStrategiesAndModes:
    """Strategies by preset name or JSON file; modes; policy as a file."""

    def test_lead_strategy_by_preset_name(self, store_url: str, tmp_path: Path) -> None:
        """lead-by-email finds the lead whatever the page; the default makes one per page."""
        path = jsonl(tmp_path / "s.jsonl", ANA, ANA_OTHER_PAGE)
        default = submit_json(str(path), "--db", str(tmp_path / "a.db"))
        assert default["leads"]["created"] == 2
        by_email = submit_json(str(path), "--db", store_url, "--lead-strategy", "lead-by-email")
        assert (by_email["leads"]["created"], by_email["leads"]["updated"]) == (1, 1)

    def test_fuzzy_preset_scores(self, tmp_path: Path) -> None:
        """A fuzzy strategy's score and similarities go into the outcomes file."""
        path = jsonl(
            tmp_path / "s.jsonl",
            {**SAM, "telephone1": "+1 206 555 0100"},
            {**SAM, "firstname": "Samm", "telephone1": "+1 206 555 0100"},
        )
        target = tmp_path / "out.jsonl"
        invoke(
            "submit",
            str(path),
            "--db",
            str(tmp_path / "crm.db"),
            "--contact-strategy",
            "contact-fuzzy",
            "--outcomes",
            str(target),
        )
        second = read_jsonl(target)[1]
        assert second["contact_action"] == "updated"
        match = second["contact_match"]
        assert match["strategy"] == "contact-fuzzy"
        assert 0.6 <= match["score"] < 1.0
        assert match["similarities"]["emailaddress1"] == 1.0

    def test_strategy_from_a_json_file(self, store_url: str, tmp_path: Path) -> None:
        """A strategy file (MatchStrategy.to_json) matches contacts by phone."""
        by_phone = MatchStrategy("contact-by-phone", Target.CONTACT, fields=("telephone1",))
        strategy = tmp_path / "by-phone.json"
        strategy.write_text(by_phone.to_json(), encoding="utf-8")
        path = jsonl(
            tmp_path / "s.jsonl",
            {"telephone1": "+1 206 555 0100", "firstname": "Kim"},
            {"telephone1": "(206) 555-0100", "firstname": "Kim", "lastname": "Lee"},
        )
        default = submit_json(str(path), "--db", str(tmp_path / "a.db"))
        assert default["contacts"]["created"] == 2
        summary = submit_json(str(path), "--db", store_url, "--contact-strategy", str(strategy))
        assert summary["contact_strategy"] == "contact-by-phone"
        assert (summary["contacts"]["created"], summary["contacts"]["updated"]) == (1, 1)

    @pytest.mark.parametrize(
        ("mode", "contacts", "leads"),
        [
            ("contacts-and-leads", {"created": 1, "updated": 1}, {"created": 1, "updated": 1}),
            ("only-leads", {"none": 2}, {"created": 1, "updated": 1}),
            ("only-contacts", {"created": 1, "updated": 1}, {"none": 2}),
        ],
    )
    def test_modes(
        self,
        store_url: str,
        tmp_path: Path,
        mode: str,
        contacts: dict[str, int],
        leads: dict[str, int],
    ) -> None:
        path = jsonl(tmp_path / "s.jsonl", ANA, ANA_AGAIN)
        summary = submit_json(str(path), "--db", store_url, "--mode", mode)
        assert summary["mode"] == mode
        assert {k: v for k, v in summary["contacts"].items() if v} == contacts
        assert {k: v for k, v in summary["leads"].items() if v} == leads
        assert summary["interactions"] == 2
        assert summary["linked"] == (2 if mode == "contacts-and-leads" else 0)

    def test_modes_are_the_handlers(self) -> None:
        assert list(MODES) == [m.value for m in Mode]

    def test_generate_leads_without_matching(self, tmp_path: Path) -> None:
        path = jsonl(tmp_path / "s.jsonl", ANA, ANA_AGAIN, ANA_AGAIN)
        summary = submit_json(
            str(path), "--db", str(tmp_path / "crm.db"), "--generate-leads-without-matching"
        )
        assert summary["leads"]["created"] == 3
        assert summary["contacts"] == {
            "created": 1,
            "updated": 2,
            "matched-closed": 0,
            "blocked": 0,
            "none": 0,
        }

    def test_policy_file(self, store_url: str, tmp_path: Path) -> None:
        """A policy file blocks leads on closed matches; --mode on the command line wins."""
        with open_store(store_url) as store:
            closed = Lead(emailaddress1=ANA["emailaddress1"], msdyncrm_marketingpageid="page-1")
            closed.disqualify(LeadStatus.LOST, at=AT)
            store.add(closed)
        policy = tmp_path / "policy.json"
        policy.write_text(json.dumps({"on_closed_lead": "block", "mode": "only-contacts"}))
        path = jsonl(tmp_path / "s.jsonl", ANA)
        summary = submit_json(
            str(path), "--db", store_url, "--policy", str(policy), "--mode", "contacts-and-leads"
        )
        assert summary["leads"]["blocked"] == 1
        assert summary["contacts"]["created"] == 1
        assert summary["warnings"] == {"lead-closed": 1}
        with open_store(store_url) as store:
            assert store.count(Lead) == 1


class TestDemoSubmissions:
    """``leadflow demo`` shows form submissions landing."""

    def test_section(self, tmp_path: Path) -> None:
        result = invoke("demo", "--out", str(tmp_path))
        assert result.exit_code == 0, result.output
        output = flat(result.output)
        assert "Form submissions landing through one SubmissionHandler" in output
        assert "created contact Maya Chen; created Maya Chen's CE courses page lead" in output
        assert "matched contact Maya Chen (contact-by-email) and updated it" in output
        assert "created Maya Chen's webinar page lead, linked to Maya Chen" in output
        assert "lead-closed: the matching lead (Bea Kim) is Disqualified (Cannot Contact)" in output
        assert "blocked. tombstoned: 'Tom.Baker@example.org' belongs to a lead deleted" in output
        assert "rejected, nothing written: emailaddress1:" in output
        assert (
            "Maya Chen: job title 'Clinic manager', consent Marketing (4), 2 open leads" in output
        )
        assert "3 interactions kept" in output

    def test_landings(self, tmp_path: Path) -> None:
        """Every demo submission lands as the section says, and no id is shown."""
        from matching.demo import CHECKED_AT, SUBMITTED_AT, run_scenario
        from matching.demo.store import fresh_store, tour_store

        run = run_scenario()
        with fresh_store(tmp_path / "demo.db") as store:
            tour_store(run.records, run.names, store, CHECKED_AT)
            tour = tour_submissions(store, run.names, SUBMITTED_AT)
            contacts = store.count(Contact)
        assert len(tour.landings) == len(SUBMISSIONS)
        codes = [landing.codes for landing in tour.landings]
        assert codes == [(), (), (), ("lead-closed",), ("tombstoned",), ()]
        assert [landing.rejected for landing in tour.landings] == [False] * 5 + [True]
        assert contacts == 5 + 2  # Maya and Bea
        assert not any(UUID.search(landing.outcome) for landing in tour.landings)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_accepted_by_name(name: str) -> None:
    """Every preset name is accepted by the option of its target (the strategy is checked
    before the missing file is noticed)."""
    option = f"--{PRESETS[name].target.value}-strategy"
    result = invoke("submit", option, name, "absent.jsonl")
    assert result.exit_code == 2
    assert "'absent.jsonl' does not exist" in result.output


class TestReplayedLines:
    """What a replay keeps of each line: its own time, the fields no record takes, and
    who it was, beside what happened to it (issue 23)."""

    def test_a_line_is_dated_by_its_submittedon(self, store_url: str, tmp_path: Path) -> None:
        """Records and interactions of a line with ``submittedon`` carry that moment (an
        offset is converted to UTC; no offset is UTC); a line without one is dated now."""
        path = jsonl(
            tmp_path / "dated.jsonl",
            {**ANA, "submittedon": "2026-01-05T10:00:00+01:00"},
            {**SAM, "submittedon": "2026-01-06T08:15:00"},
        )
        target = tmp_path / "outcomes.csv"
        result = invoke("submit", str(path), "--db", store_url, "--outcomes", str(target))
        assert result.exit_code == 0, result.output
        ana, sam = read_csv(target)
        with open_store(store_url) as store:
            assert store.get(Contact, ana["contact_id"]).createdon == dt.datetime(
                2026, 1, 5, 9, tzinfo=dt.UTC
            )
            assert store.get(Lead, sam["lead_id"]).createdon == dt.datetime(
                2026, 1, 6, 8, 15, tzinfo=dt.UTC
            )
            (interaction,) = store.interactions(contactid=ana["contact_id"])
            assert interaction.at == dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("last tuesday", "must be an ISO 8601 date-time such as 2026-01-05T09:00:00Z"),
            (20260105, "must be an ISO 8601 date-time or a datetime"),
            ("2999-01-01T00:00:00Z", "must be a moment no later than now"),
        ],
        ids=["not a date", "a number", "in the future"],
    )
    def test_an_unusable_submittedon_rejects_the_line(
        self, tmp_path: Path, value: object, reason: str
    ) -> None:
        path = jsonl(tmp_path / "bad.jsonl", {**ANA, "submittedon": value}, SAM)
        summary = submit_json(str(path), "--db", str(tmp_path / "crm.db"))
        assert (summary["handled"], summary["rejected"]) == (1, 1)
        (rejection,) = summary["rejections"]
        assert (rejection["line"], rejection["field"]) == (1, "submittedon")
        assert rejection["reason"].startswith(reason)
        assert summary["contacts"]["created"] == 1

    def test_fields_no_record_takes_are_named(self, tmp_path: Path) -> None:
        """The summary names each field kept only in the interaction's payload, with the
        number of submissions that sent it; record fields, consent and ``submittedon``
        are not among them."""
        path = jsonl(
            tmp_path / "utm.jsonl",
            {**ANA, "utm_source": "newsletter", "utm_medium": "email", "consent_level": 2},
            {**SAM, "utm_source": "ads", "submittedon": "2026-01-06T08:15:00Z"},
            BAD_EMAIL,
        )
        db = str(tmp_path / "crm.db")
        summary = submit_json(str(path), "--db", db)
        assert summary["payload_only"] == {"utm_medium": 1, "utm_source": 2}
        text = flat(invoke("submit", str(path), "--db", str(tmp_path / "again.db")).output)
        assert (
            "Fields no record takes, kept only in the interactions' payload (submissions): "
            "utm_medium (1), utm_source (2)."
        ) in text

    @pytest.mark.parametrize("suffix", ["csv", "jsonl"])
    def test_outcomes_carry_who_each_line_was(self, tmp_path: Path, suffix: str) -> None:
        """Each outcome repeats the line's submittedon, email and name, rejected lines
        included, so that it reads without joining it back to the file."""
        path = jsonl(
            tmp_path / "in.jsonl",
            {**ANA, "submittedon": "2026-01-05T09:00:00Z", "utm_source": "ads"},
            "not json at all",
            BAD_EMAIL,
        )
        target = tmp_path / f"outcomes.{suffix}"
        result = invoke(
            "submit", str(path), "--db", str(tmp_path / "crm.db"), "--outcomes", str(target)
        )
        assert result.exit_code == 0, result.output
        rows = read_csv(target) if suffix == "csv" else read_jsonl(target)
        given = [
            (r["submittedon"], r["emailaddress1"], r["firstname"], r["lastname"]) for r in rows
        ]
        blank = "" if suffix == "csv" else None
        assert given == [
            ("2026-01-05T09:00:00Z", "ana.ruiz@contoso.example", "Ana", "Ruiz"),
            (blank, blank, blank, blank),
            (blank, "sam@@fabrikam", blank, blank),
        ]
        payload_only = rows[0]["payload_only"]
        assert payload_only == ("utm_source" if suffix == "csv" else ["utm_source"])


def test_submissions_from_standard_input(tmp_path: Path) -> None:
    """``leadflow submit -`` replays what standard input holds, as a file."""
    text = "".join(json.dumps(line) + "\n" for line in (ANA, ANA_AGAIN, "x"))
    db = str(tmp_path / "crm.db")
    result = CliRunner().invoke(cli, ["submit", "-", "--db", db, "--json"], input=text)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["file"] == "standard input"
    assert (summary["lines"], summary["handled"], summary["rejected"]) == (3, 2, 1)
    assert summary["contacts"]["created"] == summary["contacts"]["updated"] == 1
