"""Importing files as people have them, on SQLite and PostgreSQL: Dynamics Excel templates
saved as CSV, European and tab-separated CSV, unknown columns, two record types in one
file, mapping files, rows without an identity, repeated identities and rows already stored.

Every refusal is asserted with its message and an unchanged store."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lifecycle import Account, Contact, ContactState, Lead, LeadStatus, Record
from matching.errors import ColumnMappingError, ImportRefused
from matching.io.rejections import write_rejections
from matching.store import Store
from matching.store.bulk import (
    export_columns,
    import_csv,
    import_frame,
    import_jsonl,
    import_rows,
    to_frame,
)

UTC = dt.UTC

SEEDED = [
    Lead(id="seed-lead", emailaddress1="seed@contoso.com", lastname="Seed"),
    Contact(id="seed-contact", emailaddress1="seed@contoso.com", lastname="Seed"),
    Account(id="seed-account", name="Seed Ltd"),
]


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    """A store holding one record of each type; the test checks it is unchanged after."""
    store.add_many(SEEDED)
    before = {kind: to_frame(store, kind) for kind in (Lead, Contact, Account)}
    yield store
    for kind, frame in before.items():
        pd.testing.assert_frame_equal(to_frame(store, kind), frame)


def write(path: Path, text: str, *, bom: bool = False, newline: str = "\n") -> Path:
    data = text.replace("\n", newline)
    path.write_bytes(("\ufeff" if bom else "").encode() + data.encode("utf-8"))
    return path


# --------------------------------------------------------------------------- real shapes

TEMPLATE_HEADER = (
    "(Do Not Modify) Contact",
    "(Do Not Modify) Row Checksum",
    "(Do Not Modify) Modified On",
    "Full Name",
    "First Name",
    "Last Name",
    "Email",
    "Company Name",
    "Business Phone",
    "Mobile Phone",
    "Job Title",
    "Address 1: City",
    "Status",
    "Do not allow Emails",
    "Send Marketing Materials",
    "Follow Email Activity",
)


def template(path: Path, rows: list[tuple[str, ...]], blank_rows: int = 3) -> Path:
    """A contacts view exported from Dynamics to Excel and saved as CSV: the hidden
    (Do Not Modify) columns, display names, option labels, and the empty rows Excel
    leaves below the data."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(TEMPLATE_HEADER)
        writer.writerows(rows)
        writer.writerows([("",) * len(TEMPLATE_HEADER)] * blank_rows)
    return path


DANA = (
    "2f1a4c7e-5b1e-ef11-8409-000d3a4d5e01",
    "kq8VJ3/ZWcOZl6Sq8u4vEiYTVJM=",
    "2024-03-01T16:45:12Z",
    "Dana Reyes",
    "Dana",
    "Reyes",
    "dana@contoso.com",
    "Contoso Ltd",
    "+1 206 555 0100",
    "",
    "Buyer",
    "Seattle",
    "Active",
    "Do Not Allow",
    "Send",
    "Allow",
)
NEW_ROW = (
    "", "", "", "", "Sam", "Ng", "sam@fabrikam.com", "Fabrikam", "", "+44 20 7946 0958",
    "", "London", "Inactive", "Allow", "Do Not Send", "Do Not Allow",
)  # fmt: skip


class TestDynamicsTemplate:
    """A Dynamics Excel template saved as CSV imports by its display names."""

    def test_display_names_and_labels(self, store: Store, tmp_path: Path) -> None:
        """Every filled row is stored with the values its labels mean; the empty rows are
        skipped, the hidden checksum, the full name and the company lookup are ignored
        and named."""
        report = import_csv(store, template(tmp_path / "contacts.csv", [DANA, NEW_ROW]), Contact)
        assert report.ok, report.rejected
        assert (report.rows, report.inserted) == (2, 2)
        dana = store.get(Contact, DANA[0])
        assert (dana.firstname, dana.lastname, dana.telephone1, dana.jobtitle) == (
            "Dana",
            "Reyes",
            "+1 206 555 0100",
            "Buyer",
        )
        assert (dana.donotemail, dana.donotsendmm, dana.followemail) == (True, False, True)
        assert dana.modifiedon == dt.datetime(2024, 3, 1, 16, 45, 12, tzinfo=UTC)
        assert dana.address1_city == "Seattle"
        (sam,) = store.find(Contact, "emailaddress1", "sam@fabrikam.com")
        assert (sam.state, sam.donotemail, sam.donotsendmm, sam.followemail) == (
            ContactState.INACTIVE,
            False,
            True,
            False,
        )
        assert sam.mobilephone == "+44 20 7946 0958"
        assert report.ignored_columns == (
            "(Do Not Modify) Row Checksum",
            "Full Name",
            "Company Name",
        )
        assert report.unresolved_columns == ()
        summary = report.summary()
        assert "Columns read by name: '(Do Not Modify) Contact' as contactid," in summary
        assert "'Email' as emailaddress1" in summary
        assert "Ignored columns: (Do Not Modify) Row Checksum, Full Name." in summary
        assert "Ignored lookups (Dynamics exports them by name, not id): Company Name." in summary
        again = import_csv(store, template(tmp_path / "contacts.csv", [DANA, NEW_ROW]), Contact)
        assert (again.inserted, again.skipped, again.identical) == (0, 2, 2)

    def test_a_template_of_empty_rows_imports_nothing(self, seeded: Store, tmp_path: Path) -> None:
        """Only empty rows: nothing read, nothing stored (not an empty record)."""
        report = import_csv(seeded, template(tmp_path / "empty.csv", [], blank_rows=16), Contact)
        assert (report.rows, report.inserted, report.skipped, report.ok) == (0, 0, 0, True)


LEADS = (
    ("leadid", "firstname", "lastname", "emailaddress1", "companyname"),
    ("l-1", "Zoë", "Müller", "zoe@beispiel.de", "Bäckerei Müller; Söhne"),
    ("l-2", "Jan", "Kowalski", "jan@przyklad.pl", "Kowalski, Sp. z o.o."),
)


def delimited(delimiter: str) -> str:
    lines = []
    for row in LEADS:
        cells = [f'"{cell}"' if delimiter in cell or "," in cell else cell for cell in row]
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"


class TestDelimitedShapes:
    """European Excel (semicolons, BOM, CRLF), tab-separated and Excel's sep= line."""

    @pytest.mark.parametrize(
        ("text", "bom", "newline", "delimiter"),
        [
            (delimited(";"), True, "\r\n", ";"),
            ("sep=;\n" + delimited(";"), False, "\r\n", ";"),
            (delimited("\t"), False, "\n", "\t"),
            (delimited(","), True, "\r\n", ","),
        ],
        ids=["european excel", "sep= line", "tab", "comma with BOM"],
    )
    def test_same_records(
        self, store: Store, tmp_path: Path, text: str, bom: bool, newline: str, delimiter: str
    ) -> None:
        """Each shape stores the same records, its delimiter named in the report."""
        path = write(tmp_path / "leads.csv", text, bom=bom, newline=newline)
        report = import_csv(store, path, Lead)
        assert (report.inserted, report.ok, report.delimiter) == (2, True, delimiter)
        zoe, jan = store.get_many(Lead, ["l-1", "l-2"])
        assert (zoe.firstname, zoe.companyname) == ("Zoë", "Bäckerei Müller; Söhne")
        assert jan.companyname == "Kowalski, Sp. z o.o."
        if delimiter == ";":
            assert "Columns separated by semicolons." in report.summary()


# --------------------------------------------------------------------------- refusals


REFUSED = [
    pytest.param(
        "unknown.csv",
        "Vorname;Nachname;E-Mail;Telefon\nDana;Reyes;dana@contoso.com;0100\n",
        Contact,
        None,
        (
            "cannot import {path} as contact records: 4 of its 4 columns mean nothing "
            "leadflow knows; nothing was written. Columns read: 'Vorname', 'Nachname', "
            "'E-Mail', 'Telefon'. Columns expected: contactid, statecode, statuscode, "
            "emailaddress1, telephone1,"
        ),
        id="only unknown columns",
    ),
    pytest.param(
        "mixed.csv",
        "leadid,contactid,emailaddress1\nl-1,,a@contoso.com\n,c-1,b@contoso.com\n",
        Lead,
        None,
        (
            "cannot import {path} as lead records: it mixes two types of record: leadid "
            "(lead) and contactid (contact); nothing was written. Columns read: 'leadid', "
            "'contactid', 'emailaddress1'."
        ),
        id="two kinds",
    ),
    pytest.param(
        "contacts.csv",
        "(Do Not Modify) Contact,Email\nc-1,a@contoso.com\n",
        Lead,
        None,
        "it holds records of another type ((Do Not Modify) Contact (contact)); import it as contact",
        id="another kind",
    ),
    pytest.param(
        "no-identity-columns.csv",
        "jobtitle,telephone1,donotemail\nBuyer,0100,true\n",
        Lead,
        None,
        (
            "no column gives a row its identity; nothing was written. Columns read: "
            "'jobtitle', 'telephone1', 'donotemail'. Columns expected: leadid, emailaddress1 "
            "or firstname and lastname (any of them, by name or display name)."
        ),
        id="no identity column",
    ),
    pytest.param(
        "no-identity-rows.csv",
        "leadid,emailaddress1,firstname,jobtitle\n,,Dana,Buyer\n,test@test.com,,CEO\n",
        Lead,
        None,
        (
            "cannot import {path} as lead records: no row has an identity (every row was "
            "rejected); nothing was written. Columns read: 'leadid', 'emailaddress1', "
            "'firstname', 'jobtitle'. Columns expected: leadid, emailaddress1 or firstname "
            "and lastname"
        ),
        id="no row with an identity",
    ),
    pytest.param(
        "no-identity-rows.jsonl",
        '{"leadid": "", "jobtitle": "Buyer"}\n{"emailaddress1": "no-at-sign", "jobtitle": "CEO"}\n',
        Lead,
        None,
        "no row has an identity (every row was rejected); nothing was written.",
        id="jsonl without identities",
    ),
    pytest.param(
        "mixed.jsonl",
        '{"leadid": "l-1", "emailaddress1": "a@contoso.com"}\n{"contactid": "c-1"}\n',
        Lead,
        None,
        "it mixes two types of record: leadid (lead) and contactid (contact); nothing was written.",
        id="jsonl with two kinds on different lines",
    ),
]


class TestRefusals:
    """A file that cannot be imported is refused whole: a typed error, nothing written."""

    @pytest.mark.parametrize(("name", "content", "kind", "mapping", "message"), REFUSED)
    def test_refused(
        self,
        seeded: Store,
        tmp_path: Path,
        name: str,
        content: str,
        kind: type[Record],
        mapping: Any,
        message: str,
    ) -> None:
        """ImportRefused with the problem, the columns read and expected; the store is
        unchanged (the fixture checks)."""
        path = write(tmp_path / name, content)
        reader = import_jsonl if name.endswith(".jsonl") else import_csv
        with pytest.raises(ImportRefused) as caught:
            reader(seeded, path, kind, mapping=mapping)
        assert message.format(path=path) in str(caught.value)

    def test_mapping_file_naming_an_unknown_field(self, seeded: Store, tmp_path: Path) -> None:
        """A mapping naming a field the type lacks: ColumnMappingError naming each entry."""
        path = write(tmp_path / "in.csv", "Vorname,Nachname,Mail\nDana,Reyes,d@contoso.com\n")
        mapping = write(
            tmp_path / "map.json", json.dumps({"Vorname": "firstname", "Mail": "email"})
        )
        with pytest.raises(ColumnMappingError) as caught:
            import_csv(seeded, path, Contact, mapping=mapping)
        assert str(caught.value).startswith(
            f"cannot use the mapping file {mapping}: 'Mail' must be a contact column, or "
            "nothing to leave the column out (got 'email'). The columns it may name: contactid,"
        )

    def test_first_row_of_rows_stands_for_the_header(self, store: Store) -> None:
        """import_rows refuses on its first row's columns; a later row holding another
        type's key is a rejected row."""
        with pytest.raises(ImportRefused, match="mixes two types of record"):
            import_rows(store, Lead, [(1, {"leadid": "l-1", "contactid": "c-1"})])
        assert store.count(Lead) == 0
        report = import_rows(
            store,
            Lead,
            [(1, {"leadid": "l-1", "lastname": "A"}), (2, {"contactid": "c-1", "lastname": "B"})],
        )
        assert [(e.line, e.reason) for e in report.rejected] == [
            (2, "holds a record of another type (contactid (contact)).")
        ]
        assert store.count(Lead) == 1


class TestMappingFiles:
    """A mapping file names what nothing else resolves."""

    @pytest.mark.parametrize("suffix", ["csv", "json"])
    def test_mapped_file_imports(self, store: Store, tmp_path: Path, suffix: str) -> None:
        """The unknown-columns file imports with a mapping; a column mapped to nothing is
        ignored, the mapped ones are named in the summary."""
        path = write(
            tmp_path / "in.csv", "Vorname;Nachname;E-Mail;Notiz\nZoë;Müller;zoe@beispiel.de;x\n"
        )
        entries = {"Vorname": "firstname", "Nachname": "LastName", "E-Mail": "emailaddress1"}
        if suffix == "json":
            mapping = write(tmp_path / "map.json", json.dumps({**entries, "Notiz": None}))
        else:
            lines = "".join(f"{k},{v}\n" for k, v in entries.items())
            mapping = write(tmp_path / "map.csv", "column,field\n" + lines + "Notiz,\n")
        report = import_csv(store, path, Contact, mapping=mapping)
        assert (report.inserted, report.ok) == (1, True)
        (zoe,) = store.find(Contact, "emailaddress1", "zoe@beispiel.de")
        assert (zoe.firstname, zoe.lastname) == ("Zoë", "Müller")
        assert report.ignored_columns == ("Notiz",)
        assert "'Vorname' as firstname, 'Nachname' as lastname" in report.summary()

    def test_frame_with_display_names(self, store: Store) -> None:
        """A DataFrame's columns are resolved as a file's header is."""
        frame = pd.DataFrame({"Account Name": ["Contoso"], "Main Phone": ["0100"], "Email": [None]})
        report = import_frame(store, frame, Account)
        assert (report.inserted, report.ok) == (1, True)
        (account,) = store.find(Account, "name", "Contoso")
        assert account.telephone1 == "0100"


# --------------------------------------------------------------------------- rows


class TestIdentities:
    """A row without an identity is rejected, not stored as an empty record; a repeated
    identity is an error naming both lines, by default."""

    def test_rows_without_identity_are_rejected(self, store: Store, tmp_path: Path) -> None:
        """Lines 3 and 4 say nothing about who they are; the good rows around them load."""
        path = write(
            tmp_path / "in.csv",
            "leadid,emailaddress1,firstname,lastname,jobtitle\n"
            "l-1,,,,Buyer\n"
            ",,Dana,,CEO\n"
            ",test@test.com,,,CTO\n"
            ",sam@fabrikam.com,,,CFO\n"
            ",,Kim,Lee,COO\n",
        )
        report = import_csv(store, path, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [(3, None), (4, None)]
        assert report.rejected[0].reason.startswith("has no identity: no leadid, no emailaddress1")
        assert report.rejected[0].row == {
            "leadid": "",
            "emailaddress1": "",
            "firstname": "Dana",
            "lastname": "",
            "jobtitle": "CEO",
        }
        assert (report.inserted, store.count(Lead)) == (3, 3)

    @pytest.mark.parametrize(
        ("text", "rejected"),
        [
            (
                "leadid,emailaddress1\nl-1,a@contoso.com\nl-2,b@contoso.com\nl-1,c@contoso.com\n",
                [(4, "leadid", 2, "repeats the leadid of line 2 ('l-1')")],
            ),
            (
                "emailaddress1,lastname\na@contoso.com,A\nb@contoso.com,B\n A@Contoso.com ,C\n",
                [
                    (
                        4,
                        "emailaddress1",
                        2,
                        "repeats the emailaddress1 of line 2 (' A@Contoso.com ')",
                    )
                ],
            ),
            (
                "First Name,Last Name,Job Title\nDana,Reyes,CEO\nDana,Reyes,CFO\nDana,Ng,CTO\n",
                [(3, "Last Name", 2, "repeats the first and last name of line 2 ('Dana Reyes')")],
            ),
        ],
        ids=["ids", "emails", "names"],
    )
    def test_repeated_identities(
        self, store: Store, tmp_path: Path, text: str, rejected: list[tuple[int, str, int, str]]
    ) -> None:
        """The later row is rejected naming the earlier row's line; with
        on_repeated="skip" it is skipped and counted instead."""
        path = write(tmp_path / "in.csv", text)
        report = import_csv(store, path, Lead)
        assert [(e.line, e.field, e.repeats) for e in report.rejected] == [r[:3] for r in rejected]
        assert all(r[3] in e.reason for e, r in zip(report.rejected, rejected, strict=True))
        assert store.count(Lead) == 2
        skipped = import_csv(store, path, Lead, on_repeated="skip")
        assert (skipped.ok, skipped.repeated, skipped.inserted) == (True, 1, 0)
        assert "1 row repeated an earlier row's identity and was skipped (on_repeated='skip')." in (
            skipped.summary()
        )


class TestOnExisting:
    """What --on-existing did with rows already stored, spelled out."""

    @pytest.fixture
    def stored(self, store: Store, tmp_path: Path) -> tuple[Store, Path]:
        first = write(
            tmp_path / "first.csv",
            "leadid,lastname,statuscode\nl-1,One,1\nl-2,Two,1\nl-3,Three,1\n",
        )
        assert import_csv(store, first, Lead).inserted == 3
        second = write(
            tmp_path / "second.csv",
            "leadid,lastname,statuscode\nl-1,One,1\nl-2,Deux,2\nl-3,Trois,1\nl-4,Four,1\n",
        )
        return store, second

    @pytest.mark.parametrize(
        ("on_existing", "counts", "text"),
        [
            (
                "skip",
                (1, 0, 3, 0),
                "3 rows were already stored and left as stored (on_existing='skip'): 2 "
                "differed from the stored record, 1 was identical. on_existing='update' "
                "writes the rows that differ.",
            ),
            (
                "update",
                (1, 2, 1, 0),
                "3 rows were already stored: 2 differed from the stored record and were "
                "updated, 1 was identical and was left alone (on_existing='update').",
            ),
            (
                "error",
                (1, 0, 0, 3),
                "3 rows were already stored and rejected (on_existing='error').",
            ),
        ],
    )
    def test_counts(
        self,
        stored: tuple[Store, Path],
        on_existing: Any,
        counts: tuple[int, int, int, int],
        text: str,
    ) -> None:
        """How many stored rows differed and how many were identical, under each choice."""
        store, second = stored
        report = import_csv(store, second, Lead, on_existing=on_existing)
        got = (report.inserted, report.updated, report.skipped, report.rejected_rows)
        assert got == counts
        assert (report.differed, report.identical) == (2, 1)
        assert text in report.summary()
        l2 = store.get(Lead, "l-2")
        if on_existing == "update":
            assert (l2.lastname, l2.status) == ("Deux", LeadStatus.CONTACTED)
        else:
            assert (l2.lastname, l2.status) == ("Two", LeadStatus.NEW)


class TestErrorsFile:
    """Rejected rows carry the row as read, so that they can be fixed and imported again."""

    def test_fix_and_import_again(self, store: Store, tmp_path: Path) -> None:
        """The errors file has line, field, reason and the row's own columns; fixed, it
        imports; its first three columns are ignored."""
        path = write(
            tmp_path / "in.csv",
            "First Name;Last Name;Email;Status Reason\n"
            "Dana;Reyes;dana@contoso.com;New\n"
            "Sam;Ng;sam.fabrikam.com;New\n"
            "Kim;Lee;kim@contoso.com;Pending\n",
        )
        report = import_csv(store, path, Lead)
        assert [(e.line, e.field) for e in report.rejected] == [(3, "Email"), (4, "Status Reason")]
        errors = tmp_path / "errors.csv"
        assert write_rejections(report.rejected, errors) == 2
        with errors.open(encoding="utf-8", newline="") as file:
            rows = list(csv.DictReader(file))
        assert list(rows[0]) == [
            "line", "field", "reason", "First Name", "Last Name", "Email", "Status Reason",
        ]  # fmt: skip
        assert [(r["line"], r["field"], r["Email"]) for r in rows] == [
            ("3", "Email", "sam.fabrikam.com"),
            ("4", "Status Reason", "kim@contoso.com"),
        ]
        assert "'emailaddress1' must be an email address" in rows[0]["reason"]
        rows[0]["Email"] = "sam@fabrikam.com"
        rows[1]["Status Reason"] = "Contacted"
        with errors.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        again = import_csv(store, errors, Lead)
        assert (again.inserted, again.ok) == (2, True)
        assert again.ignored_columns == ("line", "field", "reason")
        assert sorted(to_frame(store, Lead)["lastname"]) == ["Lee", "Ng", "Reyes"]

    def test_rows_refused_when_written_carry_the_row(self, store: Store, tmp_path: Path) -> None:
        """A tombstoned email (refused when its batch is written) carries the row too."""
        store.add(Lead(id="gone", emailaddress1="gone@contoso.com"))
        store.delete(Lead, "gone")
        path = write(
            tmp_path / "in.jsonl", json.dumps({"Email": "gone@contoso.com", "Topic": "x"}) + "\n"
        )
        report = import_jsonl(store, path, Lead)
        (error,) = report.rejected
        assert (error.field, error.row) == ("Email", {"Email": "gone@contoso.com", "Topic": "x"})


def test_export_still_round_trips(store: Store, tmp_path: Path) -> None:
    """An export's columns are logical names: it imports back with nothing renamed."""
    store.add_many([Lead(id="l-1", lastname="A"), Lead(id="l-2", emailaddress1="b@contoso.com")])
    from matching.store.bulk import export_csv

    export_csv(store, tmp_path / "out.csv", Lead)
    header = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(export_columns(Lead))
    from matching.store import open_store

    with open_store(str(tmp_path / "copy.db")) as copy:
        report = import_csv(copy, tmp_path / "out.csv", Lead)
        assert (report.inserted, report.renamed_columns, report.ignored_columns) == (2, (), ())
