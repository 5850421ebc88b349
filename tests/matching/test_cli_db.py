"""``leadflow db``: upgrade, import, export, dump and restore, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lifecycle import Contact, Lead, LeadStatus
from matching.cli import cli
from matching.cli.db import SHOWN_REJECTIONS
from matching.store import open_store
from matching.store.engine import head_revision

HEADER = ("leadid", "statecode", "statuscode", "lastname", "emailaddress1", "donotemail")


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``leadflow ARGS`` in-process."""
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", **(env or {})})


def leads_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def good(n: int) -> tuple[str, ...]:
    return (f"lead-{n}", "0", "1", f"Last{n}", f"lead{n}@contoso.com", "False")


def bad(n: int) -> tuple[str, ...]:
    return (f"lead-{n}", "0", "1", f"Last{n}", "not-an-email", "False")


class TestUpgrade:
    """``leadflow db upgrade`` creates or migrates the schema and says to which revision."""

    def test_upgrade_then_current(self, blank_url: str) -> None:
        """First run migrates from nothing; the second finds it current."""
        first = invoke("db", "upgrade", "--db", blank_url)
        assert first.exit_code == 0, first.output
        assert f"schema migrated from nothing to revision {head_revision()}" in first.output
        again = invoke("db", "upgrade", "--db", blank_url)
        assert again.exit_code == 0, again.output
        assert f"schema at revision {head_revision()} (already current)" in again.output

    def test_default_database_is_leadflow_db_in_cwd(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without --db the store is ./leadflow.db."""
        monkeypatch.chdir(tmp_path)
        result = invoke("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "sqlite:///leadflow.db: schema migrated" in result.output
        assert (tmp_path / "leadflow.db").exists()

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("mysql://localhost/crm", "'url' must name SQLite or PostgreSQL"),
            ("postgresql://nobody:s3cret@127.0.0.1:1/crm", "cannot migrate the store at"),
        ],
        ids=["unsupported", "unreachable"],
    )
    def test_unusable_url_is_one_line(self, url: str, message: str) -> None:
        """An unusable store is one error line and exit code 1."""
        result = invoke("db", "upgrade", "--db", url)
        assert result.exit_code == 1
        assert result.output.startswith("Error: ")
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert "s3cret" not in result.output

    def test_unreachable_store_on_import(self, tmp_path: Path) -> None:
        """An import into a store that does not answer is one error line, password hidden."""
        path = leads_csv(tmp_path / "leads.csv", [good(1)])
        url = "postgresql://nobody:s3cret@127.0.0.1:1/crm"
        result = invoke("db", "import", "lead", str(path), "--db", url)
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot open the store at postgresql+psycopg://")
        assert "s3cret" not in result.output
        assert len(result.output.strip().splitlines()) == 1


class TestImport:
    """``leadflow db import KIND FILE``."""

    def test_good_file(self, store_url: str, tmp_path: Path) -> None:
        """Every row stored, a summary printed, exit code 0; a rerun stores nothing twice."""
        path = leads_csv(tmp_path / "leads.csv", [good(n) for n in range(1, 4)])
        result = invoke("db", "import", "lead", str(path), "--db", store_url, "--batch-size", "2")
        assert result.exit_code == 0, result.output
        assert "3 read, 3 inserted, 0 updated, 0 skipped" in result.output
        assert "2 batches committed" in result.output
        again = invoke("db", "import", "lead", str(path), "--db", store_url)
        assert "3 read, 0 inserted, 0 updated, 3 skipped" in again.output
        with open_store(store_url) as store:
            assert store.count(Lead) == 3

    def test_rejected_rows_are_listed_and_fail(self, store_url: str, tmp_path: Path) -> None:
        """Rejected rows listed with line and column, at most SHOWN_REJECTIONS of them;
        --errors writes them all; exit code 1; the good rows are stored."""
        count = SHOWN_REJECTIONS + 5
        path = leads_csv(tmp_path / "leads.csv", [good(0)] + [bad(n) for n in range(1, count + 1)])
        errors = tmp_path / "out" / "errors.csv"
        result = invoke(
            "db", "import", "lead", str(path), "--db", store_url, "--errors", str(errors)
        )
        assert result.exit_code == 1
        assert f"{count} rejected" in result.output
        assert "line 3, emailaddress1: 'emailaddress1' must be an email address" in result.output
        assert f"line {SHOWN_REJECTIONS + 2}, emailaddress1" in result.output
        assert f"line {SHOWN_REJECTIONS + 3}, emailaddress1" not in result.output
        assert "... and 5 more" in result.output
        with errors.open(encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        assert [row["line"] for row in rows] == [str(n) for n in range(3, count + 3)]
        assert {row["field"] for row in rows} == {"emailaddress1"}
        assert list(rows[0]) == ["line", "field", "reason", *HEADER]
        assert [row["leadid"] for row in rows] == [f"lead-{n}" for n in range(1, count + 1)]
        assert {row["emailaddress1"] for row in rows} == {"not-an-email"}
        with open_store(store_url) as store:
            assert store.count(Lead) == 1

    def test_hint_for_more_rejections_without_errors_file(self, tmp_path: Path) -> None:
        """Without --errors, the listing says how to get every rejected row."""
        path = leads_csv(tmp_path / "leads.csv", [bad(n) for n in range(SHOWN_REJECTIONS + 1)])
        result = invoke("db", "import", "lead", str(path), "--db", str(tmp_path / "x.db"))
        assert "... and 1 more (--errors FILE.csv writes them all)" in result.output

    def test_on_existing_update(self, store_url: str, tmp_path: Path) -> None:
        """--on-existing update rewrites stored records from the file."""
        invoke(
            "db", "import", "lead", str(leads_csv(tmp_path / "a.csv", [good(1)])), "--db", store_url
        )
        changed = ("lead-1", "Disqualified", "Canceled", "Reyes", "lead1@contoso.com", "True")
        path = leads_csv(tmp_path / "b.csv", [changed])
        result = invoke(
            "db", "import", "lead", str(path), "--db", store_url, "--on-existing", "update"
        )
        assert result.exit_code == 0, result.output
        assert "1 updated" in result.output
        assert (
            "1 row was already stored: 1 differed from the stored record and was updated, "
            "0 were identical and were left alone (--on-existing update)."
        ) in result.output
        with open_store(store_url) as store:
            lead = store.get(Lead, "lead-1")
        assert (lead.status, lead.lastname, lead.donotemail) == (LeadStatus.CANCELED, "Reyes", True)
        again = invoke("db", "import", "lead", str(path), "--db", store_url)
        assert (
            "1 row was already stored and left as stored (--on-existing skip): 0 differed from "
            "the stored record, 1 was identical."
        ) in again.output

    def test_refused_file_is_one_line_and_stores_nothing(
        self, store_url: str, tmp_path: Path
    ) -> None:
        """A file whose columns mean nothing is refused: one error line listing the columns
        read and expected and naming --mapping FILE, exit code 1, nothing stored; with a
        mapping file it imports."""
        path = tmp_path / "kontakte.csv"
        path.write_text(
            "Vorname;Nachname;E-Mail\r\nDana;Reyes;dana@contoso.com\r\n", encoding="utf-8"
        )
        result = invoke("db", "import", "contact", str(path), "--db", store_url)
        assert result.exit_code == 1
        assert result.output.startswith(
            f"Error: cannot import {path} as contact records: 3 of its 3 columns mean nothing "
            "leadflow knows; nothing was written. Columns read: 'Vorname', 'Nachname', "
            "'E-Mail'. Columns expected: contactid, statecode,"
        )
        assert "Name the file's columns with --mapping FILE" in result.output
        assert len(result.output.strip().splitlines()) == 1
        mapping = tmp_path / "map.csv"
        mapping.write_text("Vorname,firstname\nNachname,lastname\nE-Mail,emailadress1\n")
        result = invoke(
            "db", "import", "contact", str(path), "--db", store_url, "--mapping", str(mapping)
        )
        assert result.exit_code == 1
        assert result.output.startswith(
            f"Error: cannot use the mapping file {mapping}: 'E-Mail' must be a contact column"
        )
        with open_store(store_url) as store:
            assert store.count(Contact) == 0
        mapping.write_text("Vorname,firstname\nNachname,lastname\nE-Mail,emailaddress1\n")
        result = invoke(
            "db", "import", "contact", str(path), "--db", store_url, "--mapping", str(mapping)
        )
        assert result.exit_code == 0, result.output
        assert "Columns separated by semicolons." in result.output
        assert "'E-Mail' as emailaddress1" in result.output
        with open_store(store_url) as store:
            assert store.count(Contact) == 1

    def test_repeated_rows(self, store_url: str, tmp_path: Path) -> None:
        """A repeated email is an error naming both lines and --on-repeated skip, which
        skips it."""
        first, second = ("", *good(1)[1:]), good(2)
        repeated = ("", "0", "1", "Again", first[4], "False")
        path = leads_csv(tmp_path / "leads.csv", [first, second, repeated])
        result = invoke("db", "import", "lead", str(path), "--db", store_url)
        assert result.exit_code == 1
        assert (
            "line 4, emailaddress1: repeats the emailaddress1 of line 2 ('lead1@contoso.com'): "
            "a file holds each lead once; keep one of the two rows. Import it with "
            "--on-repeated skip to keep the earlier row and skip this one."
        ) in result.output
        skipped = invoke(
            "db", "import", "lead", str(path), "--db", store_url, "--on-repeated", "skip"
        )
        assert skipped.exit_code == 0, skipped.output
        assert "1 row repeated an earlier row's identity and was skipped (--on-repeated skip)." in (
            skipped.output
        )

    def test_progress_bar_on_a_terminal(self, tmp_path: Path) -> None:
        """On a terminal the import shows a progress bar and still prints the summary."""
        path = leads_csv(tmp_path / "leads.csv", [good(n) for n in range(5)])
        result = invoke(
            "db",
            "import",
            "lead",
            str(path),
            "--db",
            str(tmp_path / "x.db"),
            env={"FORCE_COLOR": "1"},
        )
        assert result.exit_code == 0, result.output
        assert "5 inserted" in result.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["person", "FILE"], "Invalid value for '{lead|contact|account}'"),
            (["lead", "FILE.txt"], "pass --format csv or --format jsonl"),
            (["lead", "absent.csv"], "does not exist"),
            (["lead", "FILE", "--on-existing", "merge"], "Invalid value for '--on-existing'"),
            (["lead", "FILE", "--batch-size", "0"], "Invalid value for '--batch-size'"),
            (["lead", "FILE", "--on-repeated", "last"], "Invalid value for '--on-repeated'"),
            (["lead", "FILE", "--mapping", "absent.csv"], "does not exist"),
        ],
        ids=[
            "kind",
            "extension",
            "missing file",
            "on-existing",
            "batch size",
            "on-repeated",
            "mapping",
        ],
    )
    def test_usage_errors(self, tmp_path: Path, args: list[str], message: str) -> None:
        """Bad arguments are usage errors (exit code 2) and create no database."""
        path = leads_csv(tmp_path / "leads.csv", [good(1)])
        (tmp_path / "FILE.txt").write_text(path.read_text())
        resolved = [
            str(path) if a == "FILE" else str(tmp_path / a) if "." in a else a for a in args
        ]
        result = invoke("db", "import", *resolved, "--db", str(tmp_path / "x.db"))
        assert result.exit_code == 2
        assert message in result.output
        assert not (tmp_path / "x.db").exists()

    def test_format_option_overrides_extension(self, tmp_path: Path) -> None:
        """--format jsonl reads a .txt file as JSON Lines."""
        path = tmp_path / "leads.txt"
        path.write_text('{"leadid": "lead-1", "lastname": "Reyes"}\n', encoding="utf-8")
        result = invoke(
            "db", "import", "lead", str(path), "--db", str(tmp_path / "x.db"), "--format", "jsonl"
        )
        assert result.exit_code == 0, result.output
        assert "1 inserted" in result.output

    def test_unreadable_file_is_one_line(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is one error line and exit code 1."""
        path = tmp_path / "leads.csv"
        path.write_bytes(b"leadid,lastname\r\nlead-1,R\xe9yes\r\n")
        result = invoke("db", "import", "lead", str(path), "--db", str(tmp_path / "x.db"))
        assert result.exit_code == 1
        assert result.output.startswith("Error: ")
        assert "not UTF-8" in result.output


class TestExport:
    """``leadflow db export KIND FILE``."""

    @pytest.mark.parametrize("suffix", ["csv", "jsonl"])
    def test_round_trip(self, store_url: str, tmp_path: Path, suffix: str) -> None:
        """import → export → import into another store → export: the same bytes."""
        path = leads_csv(tmp_path / "leads.csv", [good(n) for n in range(1, 4)])
        invoke("db", "import", "lead", str(path), "--db", store_url)
        first, second = tmp_path / f"first.{suffix}", tmp_path / f"second.{suffix}"
        result = invoke("db", "export", "lead", str(first), "--db", store_url)
        assert result.exit_code == 0, result.output
        assert f"wrote 3 lead records to {first}" in result.output
        other = str(tmp_path / "other.db")
        assert invoke("db", "import", "lead", str(first), "--db", other).exit_code == 0
        assert invoke("db", "export", "lead", str(second), "--db", other).exit_code == 0
        assert second.read_bytes() == first.read_bytes()

    def test_missing_database(self, tmp_path: Path) -> None:
        """Exporting from a SQLite file that does not exist fails without creating it."""
        result = invoke(
            "db", "export", "contact", str(tmp_path / "out.csv"), "--db", str(tmp_path / "none.db")
        )
        assert result.exit_code == 1
        assert "no database at" in result.output
        assert not (tmp_path / "none.db").exists()
        assert not (tmp_path / "out.csv").exists()

    def test_unwritable_file_is_one_line(self, tmp_path: Path) -> None:
        """A file that cannot be written is one error line and exit code 1."""
        db = str(tmp_path / "x.db")
        invoke("db", "upgrade", "--db", db)
        (tmp_path / "blocker").write_text("a file, not a directory")
        result = invoke("db", "export", "lead", str(tmp_path / "blocker" / "out.csv"), "--db", db)
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot write")


class TestStandardStreams:
    """``-`` is standard input where a file is read and standard output where one is
    written; the command's own messages then go to standard error."""

    @pytest.mark.parametrize(("fmt", "suffix"), [((), "csv"), (("--format", "jsonl"), "jsonl")])
    def test_export_to_standard_output(
        self, tmp_path: Path, fmt: tuple[str, ...], suffix: str
    ) -> None:
        db = str(tmp_path / "crm.db")
        invoke(
            "db",
            "import",
            "lead",
            str(leads_csv(tmp_path / "in.csv", [good(1), good(2)])),
            "--db",
            db,
        )
        to_file = tmp_path / f"leads.{suffix}"
        assert invoke("db", "export", "lead", str(to_file), "--db", db).exit_code == 0
        result = invoke("db", "export", "lead", "-", "--db", db, *fmt)
        assert result.exit_code == 0, result.output
        assert result.stdout == to_file.read_text(encoding="utf-8")
        assert result.stderr == "wrote 2 lead records to standard output\n"
        assert not (tmp_path / "-").exists()

    def test_import_from_standard_input(self, tmp_path: Path) -> None:
        db = str(tmp_path / "crm.db")
        text = leads_csv(tmp_path / "in.csv", [good(1), good(2), bad(3)]).read_text()
        result = CliRunner().invoke(cli, ["db", "import", "lead", "-", "--db", db], input=text)
        assert result.exit_code == 1, result.output
        assert "3 read, 2 inserted" in result.output
        assert "line 4, emailaddress1" in result.output
        with open_store(db) as store:
            assert store.count(Lead) == 2

    def test_dump_to_standard_output_restores_from_standard_input(self, tmp_path: Path) -> None:
        source = populated(tmp_path / "source.db", tmp_path)
        dumped = invoke("db", "dump", "-", "--db", source)
        assert dumped.exit_code == 0, dumped.output
        assert dumped.stdout.startswith('{"format":')
        assert dumped.stderr.startswith("wrote ")
        target = str(tmp_path / "target.db")
        restored = CliRunner().invoke(
            cli, ["db", "restore", "-", "--db", target], input=dumped.stdout
        )
        assert restored.exit_code == 0, restored.output
        assert "from standard input" in restored.output
        with open_store(target) as store:
            assert store.count(Lead) == 2
            assert store.tombstone_for("lead3@contoso.com") is not None

    @pytest.mark.parametrize(
        "command",
        [("export", "lead", "{out}.csv"), ("dump", "{out}.jsonl")],
        ids=["export", "dump"],
    )
    def test_written_files_are_as_readable_as_any_new_file(
        self, tmp_path: Path, command: tuple[str, ...]
    ) -> None:
        """Files are written whole through a temporary file, yet get the permissions the
        umask gives any new file, not a temporary file's private 0600."""
        db = populated(tmp_path / "crm.db", tmp_path)
        args = [a.format(out=tmp_path / "out") for a in command]
        previous = os.umask(0o022)
        try:
            result = invoke("db", *args, "--db", db)
        finally:
            os.umask(previous)
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(Path(args[-1]).stat().st_mode) == 0o644
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def populated(path: Path, tmp_path: Path) -> str:
    """A SQLite store at ``path`` with three leads, one of them deleted (a tombstone)."""
    url = str(path)
    invoke(
        "db",
        "import",
        "lead",
        str(leads_csv(tmp_path / "seed.csv", [good(1), good(2), good(3)])),
        "--db",
        url,
    )
    with open_store(url) as store:
        store.delete(Lead, "lead-3", reason="asked to be removed")
    return url


class TestDumpRestore:
    """``leadflow db dump FILE`` and ``leadflow db restore FILE``."""

    def test_move(self, store_url: str, tmp_path: Path) -> None:
        """dump → restore into an empty store: a summary with counts per table, exit code 0,
        and the same records, history and tombstone in the new store."""
        source = populated(tmp_path / "source.db", tmp_path)
        file = tmp_path / "store.jsonl.gz"
        dumped = invoke("db", "dump", str(file), "--db", source)
        assert dumped.exit_code == 0, dumped.output
        assert dumped.output.startswith(
            f"wrote 4 rows of 10 tables (schema revision {head_revision()}) to {file}\n"
        )
        assert "  leads:" in dumped.output
        assert "  tombstones:" in dumped.output
        restored = invoke("db", "restore", str(file), "--db", store_url)
        assert restored.exit_code == 0, restored.output
        first = restored.output.splitlines()[0]
        assert first.startswith(
            f"restored 4 rows of 10 tables (schema revision {head_revision()}) from {file} into "
        )
        assert re.search(r"match_keys: +\d+ \(rebuilt\)", restored.output)
        with open_store(source) as before, open_store(store_url) as after:
            assert after.get_many(Lead, ["lead-1", "lead-2"]) == before.get_many(
                Lead, ["lead-1", "lead-2"]
            )
            assert after.history(Lead, "lead-3") == before.history(Lead, "lead-3")
            assert after.tombstone_for("lead3@contoso.com") == before.tombstone_for(
                "lead3@contoso.com"
            )

    def test_a_store_that_holds_data_needs_replace(self, store_url: str, tmp_path: Path) -> None:
        """Restoring into a store that holds data is one error line naming --replace, exit
        code 1, nothing written; with --replace it is restored."""
        file = tmp_path / "store.jsonl"
        invoke("db", "dump", str(file), "--db", populated(tmp_path / "source.db", tmp_path))
        invoke(
            "db",
            "import",
            "lead",
            str(leads_csv(tmp_path / "held.csv", [good(9)])),
            "--db",
            store_url,
        )
        result = invoke("db", "restore", str(file), "--db", store_url)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: cannot restore {file}: the store at ")
        assert (
            "already holds data (leads: 1, match_keys: 1); restore with --replace to replace it; nothing was written."
            in result.output
        )
        assert len(result.output.strip().splitlines()) == 1
        with open_store(store_url) as store:
            assert [lead.id for lead in store.find(Lead, "emailaddress1", "lead9@contoso.com")] == [
                "lead-9"
            ]
        replaced = invoke("db", "restore", str(file), "--db", store_url, "--replace")
        assert replaced.exit_code == 0, replaced.output
        with open_store(store_url) as store:
            assert not store.exists(Lead, "lead-9")
            assert store.count(Lead) == 2

    def test_a_truncated_file_is_one_line(self, tmp_path: Path) -> None:
        """A damaged dump is one error line and exit code 1; the store is not changed."""
        file = tmp_path / "store.jsonl"
        invoke("db", "dump", str(file), "--db", populated(tmp_path / "source.db", tmp_path))
        file.write_text("".join(file.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]))
        target = str(tmp_path / "target.db")
        result = invoke("db", "restore", str(file), "--db", target)
        assert result.exit_code == 1
        assert result.output == (
            f"Error: cannot restore {file}: it ends at line 5 without its trailer: the file is "
            "truncated; nothing was written.\n"
        )
        with open_store(target) as store:
            assert store.count(Lead) == 0

    def test_dump_needs_a_database(self, tmp_path: Path) -> None:
        """Dumping a SQLite file that does not exist fails without creating it or the dump."""
        result = invoke(
            "db", "dump", str(tmp_path / "out.jsonl"), "--db", str(tmp_path / "none.db")
        )
        assert result.exit_code == 1
        assert "no database at" in result.output
        assert not (tmp_path / "none.db").exists()
        assert not (tmp_path / "out.jsonl").exists()

    def test_restore_needs_a_file(self, tmp_path: Path) -> None:
        """A dump file that does not exist is a usage error (exit code 2)."""
        result = invoke(
            "db", "restore", str(tmp_path / "absent.jsonl"), "--db", str(tmp_path / "x.db")
        )
        assert result.exit_code == 2
        assert "does not exist" in result.output
