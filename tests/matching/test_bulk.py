"""Bulk import and export (matching.store.bulk), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import (
    Account,
    Contact,
    ContactState,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadflowError,
    LeadState,
    LeadStatus,
    Record,
)
from matching.io.display_names import LOOKUP
from matching.store import Store, open_store
from matching.store.bulk import (
    ImportFileError,
    ImportReport,
    RowError,
    export_columns,
    export_csv,
    export_jsonl,
    import_csv,
    import_frame,
    import_jsonl,
    import_rows,
    to_frame,
)
from matching.store.errors import StoreError
from tests.strategies import T0, T1, T2

UTC = dt.UTC
ID = "00000000-0000-4000-8000-{:012d}".format


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def lead_row(n: int, **values: object) -> dict[str, object]:
    """A good lead row by Dataverse logical names; ``values`` override its cells."""
    row: dict[str, object] = {
        "leadid": ID(n),
        "statecode": "0",
        "statuscode": "1",
        "firstname": f"First{n}",
        "lastname": "Reyes",
        "emailaddress1": f"lead{n}@contoso.com",
        "donotemail": "false",
        "createdon": "2026-01-05T09:00:00Z",
    }
    row.update(values)
    return row


def csv_of(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    return write_csv(path, header, [[row.get(k, "") for k in header] for row in rows])


def stored_ids(store: Store, kind: type[Record]) -> list[str]:
    return to_frame(store, kind)[export_columns(kind)[0]].tolist()


def sample_records() -> list[Record]:
    """Records using every kind of value a file must carry: states, flags, date-times,
    quotes, commas, line breaks and non-ASCII text."""
    return [
        Lead.from_codes(
            0,
            1,
            id=ID(1),
            firstname="Dana",
            lastname='O"Brien, Jr.',
            emailaddress1="dana@contoso.com",
            subject="line one\nline two\r\nline three",
            companyname="Zoë & Søn",
            createdon=T0,
            modifiedon=dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        ),
        Lead.from_codes(
            2,
            5,
            id=ID(2),
            lastname="Ng",
            donotemail=True,
            followemail=False,
            telephone1="+1 206 555 0100",
            modifiedon=T2,
        ),
        Lead.from_codes(1, 3, id=ID(3), emailaddress1="qualified@fabrikam.com", merged=True),
    ]


@pytest.fixture
def leads_stored(store: Store) -> Store:
    store.add_many(sample_records())
    return store


# --------------------------------------------------------------------------- reading values


GOOD_VALUES = [
    pytest.param({"leadid": ""}, {}, id="blank id gets a content id"),
    pytest.param(
        {"statecode": "Disqualified", "statuscode": "cannot contact"},
        {"state": LeadState.DISQUALIFIED, "status": LeadStatus.CANNOT_CONTACT},
        id="labels, any case",
    ),
    pytest.param(
        {"statecode": " 2 ", "statuscode": "6"},
        {"state": LeadState.DISQUALIFIED, "status": LeadStatus.NO_LONGER_INTERESTED},
        id="numeric codes as text",
    ),
    pytest.param(
        {"statecode": "", "statuscode": "Contacted"},
        {"state": LeadState.OPEN, "status": LeadStatus.CONTACTED},
        id="statecode follows statuscode",
    ),
    pytest.param(
        {"statecode": "Disqualified", "statuscode": ""},
        {"state": LeadState.DISQUALIFIED, "status": LeadStatus.LOST},
        id="default statuscode of the state",
    ),
    pytest.param(
        {"statecode": "", "statuscode": ""},
        {"state": LeadState.OPEN, "status": LeadStatus.NEW},
        id="no codes: a new open lead",
    ),
    pytest.param(
        {"donotemail": "True", "donotphone": "YES", "followemail": "0", "merged": "false"},
        {"donotemail": True, "donotphone": True, "followemail": False, "merged": False},
        id="Dynamics booleans",
    ),
    pytest.param({"donotemail": ""}, {"donotemail": False}, id="blank flag keeps default"),
    pytest.param(
        {"createdon": "2026-01-05T09:00:00Z"},
        {"createdon": dt.datetime(2026, 1, 5, 9, tzinfo=UTC)},
        id="datetime with Z",
    ),
    pytest.param(
        {"createdon": "2026-01-05T11:00:00+02:00"},
        {"createdon": dt.datetime(2026, 1, 5, 9, tzinfo=UTC)},
        id="datetime with offset",
    ),
    pytest.param(
        {"createdon": "2026-01-05T09:00:00"},
        {"createdon": dt.datetime(2026, 1, 5, 9, tzinfo=UTC)},
        id="naive datetime is UTC",
    ),
    pytest.param(
        {"createdon": "2026-01-05"},
        {"createdon": dt.datetime(2026, 1, 5, tzinfo=UTC)},
        id="date is midnight UTC",
    ),
    pytest.param(
        {"lastname": "", "jobtitle": " Chief Analyst "},
        {"lastname": None, "jobtitle": " Chief Analyst "},
        id="empty text is None, other text as given",
    ),
]


class TestReadingValues:
    """Cells become record values the way Dataverse means them."""

    @pytest.mark.parametrize(("cells", "expected"), GOOD_VALUES)
    def test_good_row(
        self, store: Store, tmp_path: Path, cells: dict[str, object], expected: dict[str, Any]
    ) -> None:
        """The row is stored with the values its cells mean."""
        report = import_csv(store, csv_of(tmp_path / "in.csv", [lead_row(1, **cells)]), Lead)
        assert report.ok, report.rejected
        assert report.inserted == 1
        (stored,) = store.get_many(Lead, stored_ids(store, Lead))
        for name, value in expected.items():
            assert getattr(stored, name) == value, name

    def test_row_without_id_gets_the_same_id_every_time(self, store: Store, tmp_path: Path) -> None:
        """An id derived from the content: two files saying the same thing store one record."""
        first = csv_of(tmp_path / "a.csv", [lead_row(1, leadid="")])
        again = csv_of(
            tmp_path / "b.csv",
            [lead_row(1, leadid="", donotemail="False", statecode="Open", statuscode="")],
        )
        other = csv_of(tmp_path / "c.csv", [lead_row(1, leadid="", lastname="Other")])
        assert import_csv(store, first, Lead).inserted == 1
        assert import_csv(store, again, Lead).skipped == 1
        assert import_csv(store, other, Lead).inserted == 1
        assert store.count(Lead) == 2

    @pytest.mark.parametrize(
        ("kind", "row", "expected"),
        [
            (
                Contact,
                {"contactid": ID(7), "statecode": "Inactive", "marketingonly": "yes"},
                {"state": ContactState.INACTIVE, "marketingonly": True},
            ),
            (
                Account,
                {"accountid": ID(8), "name": "Contoso", "statuscode": "2"},
                {"name": "Contoso", "statecode": 1, "statuscode": 2},
            ),
        ],
        ids=["contact", "account"],
    )
    def test_other_kinds(
        self,
        store: Store,
        tmp_path: Path,
        kind: type[Record],
        row: dict[str, object],
        expected: dict[str, object],
    ) -> None:
        """Contacts and accounts load by their own primary key and fields."""
        report = import_csv(store, csv_of(tmp_path / "in.csv", [row]), kind)
        assert report.ok, report.rejected
        stored = store.get(kind, str(row[export_columns(kind)[0]]))
        for name, value in expected.items():
            assert getattr(stored, name) == value


BAD_CELLS = [
    pytest.param({"statecode": "0", "statuscode": "4"}, "statuscode", id="pair: Open with Lost"),
    pytest.param({"statuscode": "9"}, "statuscode", id="unknown statuscode"),
    pytest.param({"statecode": "Closed"}, "statecode", id="unknown statecode label"),
    pytest.param({"statecode": "1.5"}, "statecode", id="fractional statecode"),
    pytest.param({"emailaddress1": "dana.contoso.com"}, "emailaddress1", id="malformed email"),
    pytest.param({"firstname": "x" * 51}, "firstname", id="51-char firstname"),
    pytest.param({"donotemail": "maybe"}, "donotemail", id="wrong bool"),
    pytest.param({"createdon": "05/01/2026 9:00 AM"}, "createdon", id="not ISO 8601"),
    pytest.param({"createdon": "0001-01-01T00:00:00+05:00"}, "createdon", id="before year 1 UTC"),
    pytest.param({"lastname": "Re\x00yes"}, "lastname", id="NUL in a value"),
    pytest.param({"leadid": "   "}, "leadid", id="blank-looking id"),
    pytest.param({"leadid": "x" * 101}, "leadid", id="101-char id"),
    pytest.param({"parentaccountid": " "}, "parentaccountid", id="blank reference"),
]


class TestBadRows:
    """A bad row is reported with its line and column; the good rows around it are stored."""

    @pytest.mark.parametrize(("cells", "field"), BAD_CELLS)
    def test_bad_row_is_reported_and_not_written(
        self, store: Store, tmp_path: Path, cells: dict[str, object], field: str
    ) -> None:
        """Line 3 (header is line 1) is refused with the column at fault; lines 2 and 4 load."""
        rows = [lead_row(1), lead_row(2, **cells), lead_row(3)]
        report = import_csv(store, csv_of(tmp_path / "in.csv", rows), Lead)
        assert [(e.line, e.field) for e in report.rejected] == [(3, field)]
        assert (report.rows, report.inserted, report.rejected_rows) == (3, 2, 1)
        assert not report.ok
        assert f"'{field}' must be" in report.rejected[0].reason
        assert sorted(stored_ids(store, Lead)) == [ID(1), ID(3)]

    def test_every_problem_of_a_row_is_listed(self, store: Store, tmp_path: Path) -> None:
        """A row with several bad cells lists each, in column order."""
        row = lead_row(1, statuscode="4", firstname="x" * 51, emailaddress1="nope", donotemail="2")
        report = import_csv(store, csv_of(tmp_path / "in.csv", [row]), Lead)
        assert [e.field for e in report.rejected] == [
            "statuscode",
            "firstname",
            "emailaddress1",
            "donotemail",
        ]
        assert {e.line for e in report.rejected} == {2}
        assert report.rejected_rows == 1
        assert store.count(Lead) == 0

    def test_multiline_field_keeps_line_numbers(self, store: Store, tmp_path: Path) -> None:
        """A quoted field spanning lines: the next rows keep their physical line numbers."""
        path = tmp_path / "in.csv"
        path.write_text(
            "leadid,subject,emailaddress1\r\n"
            f'{ID(1)},"first line\r\nsecond line\r\nthird line",a@contoso.com\r\n'
            f"{ID(2)},ok,not-an-email\r\n"
            "\r\n"
            f"{ID(3)},ok,c@contoso.com\r\n"
            f"{ID(4)},too,many,fields\r\n",
            encoding="utf-8",
            newline="",
        )
        report = import_csv(store, path, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [(5, "emailaddress1"), (8, None)]
        assert "has 4 fields where the header has 3" in report.rejected[1].reason
        assert store.get(Lead, ID(1)).subject == "first line\r\nsecond line\r\nthird line"
        assert sorted(stored_ids(store, Lead)) == [ID(1), ID(3)]

    def test_jsonl_line_numbers(self, store: Store, tmp_path: Path) -> None:
        """JSON Lines: physical lines; blank lines skipped; broken JSON and non-objects refused."""
        path = tmp_path / "in.jsonl"
        lines = [
            json.dumps(lead_row(1)),
            "",
            '{"leadid": "broken",',
            "[1, 2]",
            json.dumps(lead_row(2, donotemail=True, statecode=2, statuscode=7)),
            json.dumps(lead_row(3, telephone1=4255550100)),
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = import_jsonl(store, path, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [
            (3, None),
            (4, None),
            (6, "telephone1"),
        ]
        assert "is not JSON" in report.rejected[0].reason
        assert "must be a JSON object" in report.rejected[1].reason
        assert store.get(Lead, ID(2)).status is LeadStatus.CANCELED
        assert report.rows == 5

    def test_unstorable_text_is_a_row_error(self, store: Store, tmp_path: Path) -> None:
        """Text no database can store (a lone surrogate, NUL in an id or a reference) is a
        row error, not a failed batch: the other rows of the batch are stored."""
        path = tmp_path / "in.jsonl"
        rows = [
            lead_row(1),
            lead_row(2, lastname="Re\ud800yes"),
            lead_row(3, parentaccountid="acc\x00ount"),
            lead_row(4, leadid="lead\x004"),
            lead_row(5),
        ]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        report = import_jsonl(store, path, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [
            (2, "lastname"),
            (3, "parentaccountid"),
            (4, "leadid"),
        ]
        assert all("lone surrogates" in e.reason for e in report.rejected)
        assert sorted(stored_ids(store, Lead)) == [ID(1), ID(5)]

    def test_frame_rows_are_numbered_by_position(self, store: Store) -> None:
        """A frame's row number is its 1-based position, whatever its index says."""
        frame = pd.DataFrame(
            [lead_row(1), lead_row(2, emailaddress1="nope"), lead_row(3)],
            index=[10, 20, 30],
        )
        report = import_frame(store, frame, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [(2, "emailaddress1")]
        assert report.source == "DataFrame"

    def test_frame_missing_values(self, store: Store) -> None:
        """NaN, NaT, None and pd.NA are missing values; numbers and flags keep their types."""
        frame = pd.DataFrame(
            {
                "leadid": [ID(1), ID(2)],
                "statecode": [2.0, float("nan")],
                "statuscode": pd.array([5, pd.NA], dtype="Int64"),
                "lastname": ["Reyes", None],
                "donotemail": pd.array([True, pd.NA], dtype="boolean"),
                "createdon": pd.to_datetime(["2026-01-05T09:00:00Z", None]),
                "modifiedon": [pd.NaT, pd.Timestamp("2026-01-05 11:00", tz="Europe/Paris")],
            }
        )
        report = import_frame(store, frame, Lead)
        assert report.ok, report.rejected
        first, second = store.get_many(Lead, [ID(1), ID(2)])
        assert (first.status, first.lastname, first.donotemail) == (
            LeadStatus.CANNOT_CONTACT,
            "Reyes",
            True,
        )
        assert first.createdon == dt.datetime(2026, 1, 5, 9, tzinfo=UTC)
        assert (second.status, second.lastname, second.donotemail) == (LeadStatus.NEW, None, False)
        assert second.modifiedon == dt.datetime(2026, 1, 5, 10, tzinfo=UTC)

    def test_rows_that_are_not_mappings(self, store: Store) -> None:
        """import_rows refuses a row that is not a mapping, with its line."""
        report = import_rows(store, Lead, [(1, lead_row(1)), (2, ["not", "a", "row"])])  # type: ignore[list-item]
        assert [(e.line, e.field) for e in report.rejected] == [(2, None)]
        assert report.inserted == 1


class TestDynamicsExport:
    """A file shaped like a Dynamics 365 export loads as it is."""

    HEADER = (
        "@odata.etag",
        "leadid",
        "fullname",
        "firstname",
        "lastname",
        "emailaddress1",
        "statecode",
        "statecode@OData.Community.Display.V1.FormattedValue",
        "statuscode",
        "donotemail",
        "donotbulkemail",
        "createdon",
        "modifiedon",
        "_ownerid_value",
        "versionnumber",
    )
    ROWS = (
        (
            'W/"1001"',
            "2f1a4c7e-5b1e-ef11-8409-000d3a4d5e01",
            "Dana Reyes",
            "Dana",
            "Reyes",
            "dana@contoso.com",
            "0",
            "Open",
            "1",
            "False",
            "False",
            "2024-01-05T09:00:00Z",
            "2024-03-01T16:45:12Z",
            "8a3c1f3e-0000-0000-0000-000000000001",
            "1001",
        ),
        (
            'W/"1002"',
            "2f1a4c7e-5b1e-ef11-8409-000d3a4d5e02",
            "Sam Ng",
            "Sam",
            "Ng",
            "sam@fabrikam.com",
            "2",
            "Disqualified",
            "5",
            "True",
            "True",
            "2023-11-20T08:30:00Z",
            "2024-02-01T10:00:00Z",
            "8a3c1f3e-0000-0000-0000-000000000001",
            "1002",
        ),
    )

    def test_loads_and_lists_ignored_columns(self, store: Store, tmp_path: Path) -> None:
        """Every row loads; the extra columns are listed once, in file order."""
        path = write_csv(tmp_path / "dynamics.csv", self.HEADER, self.ROWS)
        path.write_bytes("\ufeff".encode() + path.read_bytes())
        report = import_csv(store, path, Lead)
        assert report.ok, report.rejected
        assert report.inserted == 2
        assert report.ignored_columns == (
            "@odata.etag",
            "fullname",
            "statecode@OData.Community.Display.V1.FormattedValue",
            "_ownerid_value",
            "versionnumber",
        )
        sam = store.get(Lead, "2f1a4c7e-5b1e-ef11-8409-000d3a4d5e02")
        assert (sam.state, sam.status, sam.donotemail) == (
            LeadState.DISQUALIFIED,
            LeadStatus.CANNOT_CONTACT,
            True,
        )
        assert sam.modifiedon == dt.datetime(2024, 2, 1, 10, tzinfo=UTC)
        assert "Ignored columns: @odata.etag, fullname" in report.summary()


# --------------------------------------------------------------------------- writing


class TestRerunsAndExisting:
    """Ids already stored, repeats within a file, and reruns."""

    def test_rerun_inserts_nothing(self, store: Store, tmp_path: Path) -> None:
        """The same file twice: the second run skips every row, with or without ids."""
        path = csv_of(tmp_path / "in.csv", [lead_row(1), lead_row(2, leadid=""), lead_row(3)])
        first = import_csv(store, path, Lead, batch_size=2)
        again = import_csv(store, path, Lead, batch_size=2)
        assert (first.inserted, first.skipped) == (3, 0)
        assert (again.inserted, again.skipped, again.rows) == (0, 3, 3)
        assert store.count(Lead) == 3

    def test_update_changes_values_and_bumps_version(
        self, leads_stored: Store, tmp_path: Path
    ) -> None:
        """on_existing="update" rewrites changed records (new version, consents kept) and
        skips unchanged ones."""
        store = leads_stored
        consent = DataConsent(level=4, id="consent-1", given_on=T0)
        dana = store.get(Lead, ID(1))
        dana.give_consent(consent, at=T1)
        store.save(dana)
        export_csv(store, tmp_path / "all.csv", Lead)
        frame = pd.read_csv(tmp_path / "all.csv", dtype=str, keep_default_na=False)
        frame.loc[frame.leadid == ID(2), "lastname"] = "Nguyen"
        frame.loc[frame.leadid == ID(1), "statecode"] = "Disqualified"
        frame.loc[frame.leadid == ID(1), "statuscode"] = "7"

        def versions() -> list[int | None]:
            with store.transaction(readonly=True) as tx:
                return [tx.version_of(Lead, ID(n)) for n in (1, 2, 3)]

        assert versions() == [2, 1, 1]
        report = import_frame(store, frame, Lead, on_existing="update")
        assert (report.inserted, report.updated, report.skipped) == (0, 2, 1)
        assert versions() == [3, 2, 1]
        dana = store.get(Lead, ID(1))
        assert (dana.state, dana.status) == (LeadState.DISQUALIFIED, LeadStatus.CANCELED)
        assert dana.consents == (consent,)
        assert store.get(Lead, ID(2)).lastname == "Nguyen"

    def test_error_rejects_stored_ids(self, leads_stored: Store, tmp_path: Path) -> None:
        """on_existing="error": a stored id is a rejected row; the new rows load."""
        path = csv_of(tmp_path / "in.csv", [lead_row(4), lead_row(2), lead_row(5)])
        report = import_csv(leads_stored, path, Lead, on_existing="error")
        assert [(e.line, e.field) for e in report.rejected] == [(3, "leadid")]
        assert "already stored" in report.rejected[0].reason
        assert report.inserted == 2
        assert leads_stored.get(Lead, ID(2)).lastname == "Ng"

    @pytest.mark.parametrize(
        ("on_existing", "on_repeated", "counts", "rejected"),
        [
            ("skip", "error", (1, 0, 0), [(3, "leadid", 2)]),
            ("update", "error", (1, 0, 0), [(3, "leadid", 2)]),
            ("error", "error", (1, 0, 0), [(3, "leadid", 2)]),
            ("update", "skip", (1, 0, 1), []),
        ],
    )
    def test_repeated_id_in_a_file(
        self,
        store: Store,
        tmp_path: Path,
        on_existing: Any,
        on_repeated: Any,
        counts: tuple[int, int, int],
        rejected: list[tuple[int, str, int]],
    ) -> None:
        """A row repeating an earlier row's id is rejected, naming the earlier line, whatever
        on_existing says (it is about stored records); on_repeated="skip" keeps the first."""
        rows = [lead_row(1, lastname="First"), lead_row(1, lastname="Second")]
        report = import_csv(
            store,
            csv_of(tmp_path / "in.csv", rows),
            Lead,
            on_existing=on_existing,
            on_repeated=on_repeated,
        )
        assert (report.inserted, report.updated, report.skipped) == counts
        assert [(e.line, e.field, e.repeats) for e in report.rejected] == rejected
        assert report.repeated == (on_repeated == "skip")
        assert store.get(Lead, ID(1)).lastname == "First"

    def test_batches_and_progress(self, store: Store) -> None:
        """Rows are written batch_size at a time; progress hears the rows read after each."""
        seen: list[int] = []
        rows = [(n, lead_row(n)) for n in range(1, 6)]
        report = import_rows(store, Lead, rows, batch_size=2, progress=seen.append)
        assert report.batches == 3
        assert seen == [2, 4, 5]
        assert store.count(Lead) == 5


class TestTombstones:
    """A row carrying a deleted record's email is refused with its line (D14)."""

    def test_tombstoned_email_is_rejected(self, store: Store, tmp_path: Path) -> None:
        """The row is listed with its line and the tombstone; allow_tombstoned loads it."""
        store.add(Lead(id="gone", emailaddress1="Gone@Contoso.com"))
        store.delete(Lead, "gone", reason="asked to be forgotten")
        rows = [lead_row(1), lead_row(2, emailaddress1=" gone@contoso.COM")]
        path = csv_of(tmp_path / "in.csv", rows)
        report = import_csv(store, path, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [(3, "emailaddress1")]
        assert "deleted lead (gone)" in report.rejected[0].reason
        assert "D14" in report.rejected[0].reason
        assert (report.inserted, report.skipped) == (1, 0)
        assert not store.exists(Lead, ID(2))
        again = import_csv(store, path, Lead, allow_tombstoned=True)
        assert (again.inserted, again.skipped) == (1, 1)
        assert store.exists(Lead, ID(2))

    def test_stored_record_sharing_a_tombstoned_email_is_not_a_resurrection(
        self, store: Store, tmp_path: Path
    ) -> None:
        """A row of a record that is still stored meets on_existing, tombstone or not."""
        path = csv_of(tmp_path / "in.csv", [lead_row(1, emailaddress1="dup@contoso.com")])
        import_csv(store, path, Lead)
        store.add(Lead(id="duplicate", emailaddress1="dup@contoso.com"))
        store.delete(Lead, "duplicate")
        report = import_csv(store, path, Lead)
        assert (report.skipped, report.ok) == (1, True)

    def test_rejections_are_in_line_order(self, store: Store, tmp_path: Path) -> None:
        """Rows refused when their batch is written and rows refused on reading: by line."""
        store.add(Lead(id="gone", emailaddress1="gone@contoso.com"))
        store.delete(Lead, "gone")
        rows = [lead_row(1, emailaddress1="gone@contoso.com"), lead_row(2, donotemail="?")]
        report = import_csv(store, csv_of(tmp_path / "in.csv", rows), Lead)
        assert [(e.line, e.field) for e in report.rejected] == [
            (2, "emailaddress1"),
            (3, "donotemail"),
        ]


class TestArguments:
    """Unusable arguments raise a typed error before anything is written."""

    @pytest.mark.parametrize(
        ("options", "field"),
        [
            ({"kind": "lead"}, "kind"),
            ({"kind": DataConsent}, "kind"),
            ({"on_existing": "merge"}, "on_existing"),
            ({"batch_size": 0}, "batch_size"),
            ({"batch_size": True}, "batch_size"),
        ],
    )
    def test_refused(self, store: Store, options: dict[str, Any], field: str) -> None:
        """InvalidFieldError names the argument; the store is untouched."""
        arguments: dict[str, Any] = {"kind": Lead, **options}
        kind = arguments.pop("kind")
        with pytest.raises(InvalidFieldError) as caught:
            import_rows(store, kind, [(1, lead_row(1))], **arguments)
        assert caught.value.field == field
        assert store.count(Lead) == 0

    def test_not_a_store(self, tmp_path: Path) -> None:
        """The store argument must be a Store."""
        with pytest.raises(InvalidFieldError, match="'store' must be a Store"):
            import_rows(str(tmp_path / "x.db"), Lead, [])  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("content", "match"),
        [
            (b"leadid,lastname,lastname\r\n1,a,b\r\n", "repeats the columns"),
            (b"leadid,lastname\r\n1,Reyes\r\n2,R\xe9yes\r\n", "not UTF-8"),
        ],
        ids=["repeated header", "latin-1"],
    )
    def test_unreadable_csv(self, store: Store, tmp_path: Path, content: bytes, match: str) -> None:
        """A file that cannot be read as UTF-8 CSV raises ImportFileError, a StoreError."""
        path = tmp_path / "in.csv"
        path.write_bytes(content)
        with pytest.raises(ImportFileError, match=match) as caught:
            import_csv(store, path, Lead)
        assert isinstance(caught.value, StoreError)
        assert store.count(Lead) == 0

    def test_missing_file(self, store: Store, tmp_path: Path) -> None:
        """A file that does not exist raises ImportFileError naming it."""
        with pytest.raises(ImportFileError, match="cannot read"):
            import_jsonl(store, tmp_path / "absent.jsonl", Lead)

    def test_frame_with_repeated_columns(self, store: Store) -> None:
        """A frame with two columns of one name is refused."""
        frame = pd.DataFrame([[ID(1), "a", "b"]], columns=["leadid", "lastname", "lastname"])
        with pytest.raises(InvalidFieldError, match="distinct column names"):
            import_frame(store, frame, Lead)

    def test_empty_csv(self, store: Store, tmp_path: Path) -> None:
        """An empty file is an import of nothing."""
        (tmp_path / "in.csv").write_text("")
        report = import_csv(store, tmp_path / "in.csv", Lead)
        assert (report.rows, report.batches, report.ok) == (0, 0, True)


class TestReport:
    """What a report says."""

    def test_summary(self) -> None:
        """One paragraph with every count and the ignored columns."""
        report = ImportReport(
            kind="contact",
            source="contacts.csv",
            rows=12_345,
            inserted=12_000,
            updated=0,
            skipped=300,
            rejected=(RowError(7, "emailaddress1", "bad"), RowError(7, "firstname", "long")),
            batches=3,
            ignored_columns=("fullname",),
        )
        assert report.summary() == (
            "Imported contact rows from contacts.csv: 12,345 read, 12,000 inserted, 0 updated, "
            "300 skipped, 1 rejected; 3 batches committed. Ignored columns: fullname."
        )
        assert str(report.rejected[0]) == "line 7, emailaddress1: bad"
        assert str(RowError(3, None, "broken")) == "line 3: broken"
        assert not report.ok

    @pytest.mark.parametrize(
        ("on_existing", "counts", "python", "command_line"),
        [
            (
                "skip",
                (0, 0, 5),
                "5 rows were already stored and left as stored (on_existing='skip'): 2 "
                "differed from the stored record, 3 were identical. on_existing='update' "
                "writes the rows that differ.",
                "5 rows were already stored and left as stored (--on-existing skip): 2 "
                "differed from the stored record, 3 were identical. --on-existing update "
                "writes the rows that differ.",
            ),
            (
                "update",
                (0, 2, 3),
                "5 rows were already stored: 2 differed from the stored record and were "
                "updated, 3 were identical and were left alone (on_existing='update').",
                "5 rows were already stored: 2 differed from the stored record and were "
                "updated, 3 were identical and were left alone (--on-existing update).",
            ),
            (
                "error",
                (0, 0, 0),
                "5 rows were already stored and rejected (on_existing='error').",
                "5 rows were already stored and rejected (--on-existing error).",
            ),
        ],
    )
    def test_summary_spells_out_on_existing(
        self,
        on_existing: str,
        counts: tuple[int, int, int],
        python: str,
        command_line: str,
    ) -> None:
        """What on_existing did with rows already stored: how many differed from the stored
        record and how many were identical, options spelled as the caller spells them."""
        inserted, updated, skipped = counts
        report = ImportReport(
            kind="lead",
            source="leads.csv",
            rows=5,
            inserted=inserted,
            updated=updated,
            skipped=skipped,
            rejected=(),
            batches=1,
            ignored_columns=(),
            on_existing=on_existing,
            differed=2,
            identical=3,
        )
        assert python in report.summary()
        assert command_line in report.summary(command_line=True)

    def test_summary_names_columns(self) -> None:
        """Columns read by another name, ignored (lookups apart) and not resolved, and a
        delimiter other than the comma."""
        report = ImportReport(
            kind="contact",
            source="c.csv",
            rows=2,
            inserted=1,
            updated=0,
            skipped=1,
            rejected=(),
            batches=1,
            ignored_columns=("Full Name", "Company Name", "Vorname"),
            unresolved_columns=("Vorname",),
            ignored_reasons=(
                ("Full Name", "a column Dataverse keeps for itself"),
                ("Company Name", LOOKUP),
            ),
            renamed_columns=(("Email", "emailaddress1", "display name"),),
            delimiter=";",
            repeated=1,
        )
        assert report.summary(command_line=True).split(" committed. ")[1] == (
            "1 row repeated an earlier row's identity and was skipped (--on-repeated skip). "
            "Columns separated by semicolons. Columns read by name: 'Email' as emailaddress1. "
            "Ignored columns: Full Name. Ignored lookups (Dynamics exports them by name, not "
            "id): Company Name. Columns not resolved (not imported): Vorname."
        )

    def test_errors_are_leadflow_errors(self) -> None:
        """ImportFileError is a StoreError, hence a LeadflowError and a ValueError."""
        assert issubclass(ImportFileError, StoreError)
        assert issubclass(ImportFileError, LeadflowError)
        assert issubclass(ImportFileError, ValueError)


# --------------------------------------------------------------------------- round trips


class TestRoundTrips:
    """Exports import back to identical records, and export again to identical files."""

    @pytest.mark.parametrize(
        ("suffix", "write", "read"),
        [("csv", export_csv, import_csv), ("jsonl", export_jsonl, import_jsonl)],
    )
    def test_file_round_trip_is_byte_identical(
        self,
        leads_stored: Store,
        tmp_path: Path,
        suffix: str,
        write: Any,
        read: Any,
    ) -> None:
        """export → import into an empty store → export gives the same bytes and records."""
        first, second = tmp_path / f"first.{suffix}", tmp_path / f"second.{suffix}"
        assert write(leads_stored, first, Lead) == 3
        with open_store(tmp_path / "copy.db") as copy:
            report = read(copy, first, Lead)
            assert (report.inserted, report.ok) == (3, True)
            assert write(copy, second, Lead) == 3
            assert second.read_bytes() == first.read_bytes()
            ids = [ID(1), ID(2), ID(3)]
            assert copy.get_many(Lead, ids) == leads_stored.get_many(Lead, ids)

    def test_export_format(self, leads_stored: Store, tmp_path: Path) -> None:
        """Columns by logical name; date-times UTC with Z; flags true/false; blanks empty."""
        export_csv(leads_stored, tmp_path / "out.csv", Lead)
        with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        assert list(rows[0])[:4] == ["leadid", "statecode", "statuscode", "emailaddress1"]
        assert rows[0]["modifiedon"] == "2026-01-02T03:04:05.678901Z"
        assert rows[1]["modifiedon"] == "2026-03-01T10:00:00Z"
        assert (rows[1]["statecode"], rows[1]["statuscode"]) == ("2", "5")
        assert (rows[1]["donotemail"], rows[1]["followemail"]) == ("true", "false")
        assert rows[1]["emailaddress1"] == ""
        assert export_jsonl(leads_stored, tmp_path / "out.jsonl", Lead) == 3
        first = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()[0])
        assert (first["statecode"], first["donotemail"], first["telephone1"]) == (0, False, None)

    def test_frame_round_trip(self, leads_stored: Store, tmp_path: Path) -> None:
        """to_frame → import_frame → to_frame gives an equal frame and equal records."""
        frame = to_frame(leads_stored, Lead)
        assert str(frame["modifiedon"].dtype) == "datetime64[us, UTC]"
        assert frame["donotemail"].dtype == bool
        with open_store(tmp_path / "copy.db") as copy:
            assert import_frame(copy, frame, Lead).inserted == 3
            pd.testing.assert_frame_equal(to_frame(copy, Lead), frame)
            ids = frame["leadid"].tolist()
            assert copy.get_many(Lead, ids) == leads_stored.get_many(Lead, ids)

    def test_empty_store_exports(self, store: Store, tmp_path: Path) -> None:
        """An empty store exports a header, no lines, and an empty frame with the columns."""
        assert export_csv(store, tmp_path / "out.csv", Contact) == 0
        header = (tmp_path / "out.csv").read_text(encoding="utf-8").strip()
        assert header.split(",") == list(export_columns(Contact))
        assert export_jsonl(store, tmp_path / "out.jsonl", Contact) == 0
        assert (tmp_path / "out.jsonl").read_text() == ""
        frame = to_frame(store, Contact)
        assert list(frame.columns) == list(export_columns(Contact))
        assert len(frame) == 0


# --------------------------------------------------------------------------- property

_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
)
_moments = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=-5, minutes=-30))]),
)
_emails = st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True)
_batch = itertools.count()


@st.composite
def flat_records(draw: st.DrawFn, kind: type[Record]) -> list[Record]:
    """Records of ``kind`` with any flat values (no consents or history: files carry none)."""
    prefix = f"p{next(_batch)}-"
    records = []
    for n in range(draw(st.integers(1, 5))):
        state = draw(st.sampled_from([s for s in kind.state_type if s.code is not None]))
        status = draw(
            st.sampled_from([s for s in kind.status_type if s.state_value == state.value])
        )
        fields: dict[str, Any] = {}
        for name in export_columns(kind)[3:]:
            default = attrs.fields_dict(kind)[name].default
            if isinstance(default, bool):
                fields[name] = draw(st.booleans())
            elif name in ("createdon", "modifiedon"):
                fields[name] = draw(st.none() | _moments)
            elif name == "emailaddress1":
                fields[name] = draw(st.none() | _emails)
            elif name.endswith("id"):
                fields[name] = draw(st.none() | st.uuids().map(str))
            else:
                fields[name] = draw(st.none() | _text)
        records.append(kind.from_codes(state.code, status.code, id=f"{prefix}{n}", **fields))
    return records


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two SQLite stores that live as long as the test (across Hypothesis examples)."""
    with open_store(tmp_path / "a.db") as a, open_store(tmp_path / "b.db") as b:
        yield a, b


@pytest.mark.parametrize("kind", [Lead, Contact, Account], ids=lambda k: k.__name__)
@given(data=st.data())
def test_frame_round_trip_property(
    two_stores: tuple[Store, Store], kind: type[Record], data: st.DataObject
) -> None:
    """Any flat records: to_frame → import_frame into another store gives equal records,
    and that store's to_frame equals the frame it was given (SQLite)."""
    source, target = two_stores
    records = data.draw(flat_records(kind))
    source.add_many(records)
    ids = [r.id for r in records]
    pk = export_columns(kind)[0]
    frame = to_frame(source, kind)
    frame = frame[frame[pk].isin(ids)].reset_index(drop=True)
    report = import_frame(target, frame, kind)
    assert (report.inserted, report.ok) == (len(records), True), report.rejected
    assert target.get_many(kind, ids) == records
    back = to_frame(target, kind)
    pd.testing.assert_frame_equal(back[back[pk].isin(ids)].reset_index(drop=True), frame)
