"""Reading import files without a database (matching.io): what columns mean, delimiters,
mapping files, identities and the errors file."""

from __future__ import annotations

import csv
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lifecycle import Account, Contact, Lead, Record
from lifecycle.errors import Problem
from lifecycle.records import RECORD_TYPES
from matching.errors import ColumnMappingError, ImportFileError, ImportRefused
from matching.io import display_names, targets
from matching.io.delimited import DelimitedFile, sniff_delimiter
from matching.io.headers import ColumnResolver, refuse_unusable, resolve_columns
from matching.io.identity import Identities, identity_of, no_identity
from matching.io.mapping import load_mapping
from matching.io.rejections import RowError, write_rejections
from matching.store import schema

KINDS = [Lead, Contact, Account]


class TestTheTables:
    """The display-name table and the columns each record type has are data, checked here."""

    @pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
    def test_columns_are_the_stores(self, kind: type[Record]) -> None:
        """The columns a file can fill, found without the store, are the columns of the
        store's table of that record type (but its own ``version``), in order."""
        table = [c.name for c in schema.RECORD_TABLES[kind].columns if c.name != "version"]
        assert list(targets.columns(kind)) == table

    def test_every_display_name_means_a_real_column_of_its_type(self) -> None:
        """Each row's column is a column of every record type it is listed for."""
        wrong = [
            (label, column, name)
            for label, column, kinds in display_names.DISPLAY_NAMES
            for name in kinds
            if column not in targets.columns(RECORD_TYPES[name])
        ]
        assert wrong == []

    def test_no_label_is_both_read_and_ignored(self) -> None:
        """A label means one thing per record type: read, or left out on purpose."""
        read = {
            (label.casefold(), name)
            for label, _, kinds in display_names.DISPLAY_NAMES
            for name in kinds
        }
        ignored = {
            (label.casefold(), name) for label, kinds, _ in display_names.NOT_KEPT for name in kinds
        }
        assert read & ignored == set()
        columns = {c for kind in KINDS for c in targets.columns(kind)}
        assert {label for label, _, _ in display_names.NOT_KEPT} & columns == set()

    def test_labels_are_unique_per_type(self) -> None:
        """No label is listed twice for one record type."""
        seen = [
            (label.casefold(), name)
            for label, _, kinds in display_names.DISPLAY_NAMES
            for name in kinds
        ]
        assert len(seen) == len(set(seen))


RESOLVED = [
    pytest.param(Lead, "emailaddress1", "emailaddress1", None, id="logical name"),
    pytest.param(Lead, "EMailAddress1", "emailaddress1", "schema name", id="schema name"),
    pytest.param(Contact, " FIRSTNAME ", "firstname", "schema name", id="any case and spacing"),
    pytest.param(Contact, "First Name", "firstname", "display name", id="display name"),
    pytest.param(Contact, "first  name", "firstname", "display name", id="display, any case"),
    pytest.param(Lead, "Topic", "subject", "display name", id="lead Topic"),
    pytest.param(Lead, "Company Name", "companyname", "display name", id="lead Company Name"),
    pytest.param(Account, "Account Name", "name", "display name", id="account name"),
    pytest.param(Account, "Main Phone", "telephone1", "display name", id="account phone"),
    pytest.param(Contact, "Business Phone", "telephone1", "display name", id="contact phone"),
    pytest.param(Contact, "(Do Not Modify) Contact", "contactid", "display name", id="pk"),
    pytest.param(Lead, "Status Reason", "statuscode", "display name", id="status reason"),
    pytest.param(Contact, "Address 1: City", "address1_city", "display name", id="address 1"),
    pytest.param(Lead, "ZIP/Postal Code", "address1_postalcode", "display name", id="zip"),
    pytest.param(
        Lead, "_parentaccountid_value", "parentaccountid", "lookup value", id="lookup value"
    ),
    pytest.param(Lead, "Marketing Material", "donotsendmm", "display name", id="lead label"),
    pytest.param(Contact, "Send Marketing Materials", "donotsendmm", "display name", id="label"),
]


class TestResolvingColumns:
    """What each column means for one record type."""

    @pytest.mark.parametrize(("kind", "column", "field", "how"), RESOLVED)
    def test_resolved(self, kind: type[Record], column: str, field: str, how: str | None) -> None:
        """The column is read as the field, recognised as ``how`` says."""
        columns = resolve_columns([column], kind)
        assert columns.targets == ((column, field),)
        assert columns.renamed == (() if how is None else ((column, field, how),))
        assert columns.rename({column: "x", "other": "y"}) == {field: "x"}

    @pytest.mark.parametrize(
        ("kind", "column", "why"),
        [
            (Lead, "@odata.etag", display_names.SYSTEM),
            (Lead, "statecode@OData.Community.Display.V1.FormattedValue", display_names.SYSTEM),
            (Lead, "_ownerid_value", display_names.SYSTEM),
            (Lead, "fullname", display_names.SYSTEM),
            (Contact, "(Do Not Modify) Row Checksum", display_names.SYSTEM),
            (Contact, "Company Name", display_names.LOOKUP),
            (Lead, "Parent Account for lead", display_names.LOOKUP),
            (Account, "Primary Contact", display_names.LOOKUP),
            (Contact, "Middle Name", display_names.NOT_KEPT_FIELD),
            (Lead, "reason", "a column of leadflow's --errors file"),
        ],
    )
    def test_ignored_with_the_reason(self, kind: type[Record], column: str, why: str) -> None:
        """Columns leadflow recognises and leaves out are ignored, not unresolved."""
        columns = resolve_columns([column], kind)
        assert (columns.targets, columns.ignored, columns.unresolved) == ((), ((column, why),), ())

    def test_display_names_belong_to_their_type(self) -> None:
        """``Topic`` is a lead's; in a contact file it means nothing."""
        assert resolve_columns(["Topic"], Contact).unresolved == ("Topic",)
        assert resolve_columns(["Account Name"], Lead).unresolved == ("Account Name",)

    def test_the_more_certain_column_wins(self) -> None:
        """A logical name beats a display name; the visible Modified On beats the hidden
        one; the loser is ignored, saying which column is read."""
        columns = resolve_columns(
            ["(Do Not Modify) Modified On", "Email", "emailaddress1", "Modified On"], Contact
        )
        assert columns.targets == (
            ("emailaddress1", "emailaddress1"),
            ("Modified On", "modifiedon"),
        )
        assert columns.ignored == (
            ("(Do Not Modify) Modified On", "also means modifiedon; 'Modified On' is read"),
            ("Email", "also means emailaddress1; 'emailaddress1' is read"),
        )
        assert columns.ambiguous == ()

    def test_mapping_comes_first(self) -> None:
        """A mapping names what nothing else resolves, overrides a display name, and can
        leave a column out."""
        mapping = {"E-Mail": "emailaddress1", "Email": None, "Firma": "companyname"}
        columns = resolve_columns(["E-Mail", "Email", "Firma", "Vorname"], Lead, mapping)
        assert columns.targets == (("E-Mail", "emailaddress1"), ("Firma", "companyname"))
        assert columns.ignored == (("Email", "left out by the mapping"),)
        assert columns.unresolved == ("Vorname",)
        assert ("E-Mail", "emailaddress1", "the mapping") in columns.renamed

    def test_other_kinds_primary_keys_are_foreign(self) -> None:
        """Another record type's primary key, by logical or template name, is foreign."""
        columns = resolve_columns(["leadid", "contactid", "(Do Not Modify) Account"], Lead)
        assert columns.foreign == (("contactid", "contact"), ("(Do Not Modify) Account", "account"))

    def test_non_text_columns_are_unresolved(self) -> None:
        """A frame may have columns that are not text: they mean nothing."""
        columns = resolve_columns([0, "leadid"], Lead)
        assert (columns.unresolved, columns.targets) == (("0",), (("leadid", "leadid"),))


REFUSALS = [
    pytest.param(
        Lead,
        ["leadid", "contactid", "emailaddress1"],
        None,
        "cannot import f.csv as lead records: it mixes two types of record: leadid (lead) "
        "and contactid (contact); nothing was written. Columns read: 'leadid', 'contactid', "
        "'emailaddress1'.",
        id="two kinds",
    ),
    pytest.param(
        Lead,
        ["(Do Not Modify) Contact", "Email"],
        None,
        "cannot import f.csv as lead records: it holds records of another type "
        "((Do Not Modify) Contact (contact)); import it as contact, or one record type per "
        "file; nothing was written.",
        id="another kind",
    ),
    pytest.param(
        Lead,
        ["EMAILADDRESS1", "EmailAddress1"],
        None,
        "two columns mean the same field: 'EMAILADDRESS1' and 'EmailAddress1' both mean "
        "emailaddress1; nothing was written.",
        id="ambiguous",
    ),
    pytest.param(
        Contact,
        ["Vorname", "Nachname", "E-Mail", "emailaddress1"],
        None,
        "3 of its 4 columns mean nothing leadflow knows; nothing was written. Columns read: "
        "'Vorname', 'Nachname', 'E-Mail', 'emailaddress1' (not resolved: 'Vorname', "
        "'Nachname', 'E-Mail'). Columns expected: contactid, statecode, statuscode, "
        "emailaddress1,",
        id="mostly unknown",
    ),
    pytest.param(
        Contact,
        ["firstname", "jobtitle", "Vorname"],
        None,
        "no column gives a row its identity; nothing was written. Columns read: "
        "'firstname', 'jobtitle', 'Vorname' (not resolved: 'Vorname'). Columns expected: "
        "contactid, emailaddress1 or firstname and lastname (any of them, by name or display "
        "name). Name the file's columns with mapping=FILE (CSV column,field or a JSON object).",
        id="no identity column",
    ),
    pytest.param(
        Account,
        ["Main Phone"],
        None,
        "Columns expected: accountid, emailaddress1 or name (any of them",
        id="account identity",
    ),
]


class TestRefusals:
    """Columns that cannot be imported are refused before anything is read."""

    @pytest.mark.parametrize(("kind", "read", "mapping", "message"), REFUSALS)
    def test_refused(self, kind: type[Record], read: list[str], mapping: Any, message: str) -> None:
        """ImportRefused, a ValueError, with a message naming the problem and the columns."""
        columns = resolve_columns(read, kind, mapping)
        with pytest.raises(ImportRefused) as caught:
            refuse_unusable(columns, "f.csv", mapped=mapping is not None)
        assert message in str(caught.value)
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, ImportFileError)
        copy = pickle.loads(pickle.dumps(caught.value))
        assert str(copy) == str(caught.value)

    def test_a_mapping_lifts_the_unknown_columns_refusal(self) -> None:
        """Most columns unknown is refused without a mapping, accepted with one."""
        columns = resolve_columns(["Vorname", "Nachname", "Email"], Contact, {})
        refuse_unusable(columns, "f.csv", mapped=True)
        with pytest.raises(ImportRefused, match="2 of its 3 columns"):
            refuse_unusable(columns, "f.csv", mapped=False)

    def test_command_line_spelling(self) -> None:
        """On the command line the refusal names --mapping FILE."""
        columns = resolve_columns(["Vorname"], Lead)
        with pytest.raises(ImportRefused) as caught:
            refuse_unusable(columns, "f.csv", mapped=False)
        assert "--mapping FILE" in caught.value.describe(command_line=True)
        assert "mapping=FILE" in str(caught.value)

    def test_resolver_checks_later_rows(self) -> None:
        """Rows with other columns than the header's are resolved on their own; one that
        holds another type's key cannot be read."""
        resolver = ColumnResolver(Lead, None)
        resolver.header(("leadid", "Email"), "rows")
        later = resolver.of(("contactid", "Email"))
        assert resolver.problem(later) == "holds a record of another type (contactid (contact))."
        assert resolver.renamed == (("Email", "emailaddress1", "display name"),)


class TestDelimiters:
    """The delimiter is found, not assumed."""

    @pytest.mark.parametrize(
        ("sample", "delimiter"),
        [
            ("a,b,c\n1,2,3\n", ","),
            ("a;b;c\r\n1;2;3\r\n", ";"),
            ("a\tb\tc\n1\t2\t3\n", "\t"),
            ('"Name, First";Email\n"Reyes, Dana";d@x.com\n', ";"),
            ("Name;Note\nDana;a,b,c\n", ";"),
            ("leadid\n1\n", ","),
            ("", ","),
        ],
        ids=["comma", "semicolon", "tab", "quoted comma", "commas in values", "one", "empty"],
    )
    def test_sniffed(self, sample: str, delimiter: str) -> None:
        """The delimiter that splits the header most."""
        assert sniff_delimiter(sample) == delimiter

    @pytest.mark.parametrize(
        ("content", "header", "rows"),
        [
            (
                "\ufeffleadid;lastname\r\nl-1;Müller\r\n\r\n;;\r\nl-2;Ng\r\n",
                ("leadid", "lastname"),
                [
                    (2, {"leadid": "l-1", "lastname": "Müller"}),
                    (5, {"leadid": "l-2", "lastname": "Ng"}),
                ],
            ),
            (
                "sep=;\r\nleadid;lastname\r\nl-1;Ng, Jr.\r\n",
                ("leadid", "lastname"),
                [(3, {"leadid": "l-1", "lastname": "Ng, Jr."})],
            ),
            (
                'leadid\tsubject\nl-1\t"two\nlines"\nl-2\tok\n',
                ("leadid", "subject"),
                [
                    (2, {"leadid": "l-1", "subject": "two\nlines"}),
                    (4, {"leadid": "l-2", "subject": "ok"}),
                ],
            ),
        ],
        ids=["BOM, CRLF, blank rows", "Excel sep= line", "tab, multi-line cell"],
    )
    def test_reading(
        self, tmp_path: Path, content: str, header: tuple[str, ...], rows: list[Any]
    ) -> None:
        """Physical line numbers; blank lines and rows of empty cells skipped."""
        path = tmp_path / "in.csv"
        path.write_bytes(content.encode("utf-8"))
        with DelimitedFile(path) as file:
            assert file.header == header
            assert list(file) == rows

    def test_wrong_width_keeps_the_row(self, tmp_path: Path) -> None:
        """A row with too many fields is an error that still carries what it held."""
        path = tmp_path / "in.csv"
        path.write_text("a,b\n1,2,3\n", encoding="utf-8")
        ((line, error),) = list(DelimitedFile(path))
        assert isinstance(error, RowError)
        assert (line, error.row) == (2, {"a": "1", "b": "2", "(extra 1)": "3"})

    def test_not_utf8_names_the_line(self, tmp_path: Path) -> None:
        """Text in another encoding is an ImportFileError naming the line and the fix."""
        path = tmp_path / "in.csv"
        path.write_bytes(b"leadid;lastname\r\nl-1;Ng\r\nl-2;M\xfcller\r\n")
        with pytest.raises(
            ImportFileError, match=r"not UTF-8 text at line 3 \(save it as CSV UTF-8\)"
        ):
            list(DelimitedFile(path))


class TestMappingFiles:
    """A user's mapping, from a CSV or JSON file."""

    def test_csv_and_json(self, tmp_path: Path) -> None:
        """A header line is skipped; fields in any case; an empty field leaves a column out."""
        csv_file = tmp_path / "map.csv"
        csv_file.write_text("column,field\nVorname,FirstName\nNotiz,\nE-Mail;x\n", encoding="utf-8")
        json_file = tmp_path / "map.json"
        json_file.write_text(
            json.dumps({"Vorname": "firstname", "Notiz": None, "E-Mail;x": ""}), encoding="utf-8"
        )
        expected = {"Vorname": "firstname", "Notiz": None, "E-Mail;x": None}
        assert dict(load_mapping(csv_file, Lead)) == expected
        assert dict(load_mapping(json_file, Lead)) == expected
        semicolons = tmp_path / "map-eu.csv"
        semicolons.write_text("Vorname;firstname\nNachname;lastname\n", encoding="utf-8")
        assert dict(load_mapping(semicolons, Lead)) == {
            "Vorname": "firstname",
            "Nachname": "lastname",
        }

    def test_unknown_fields_are_all_named(self, tmp_path: Path) -> None:
        """Every entry naming a field the record type lacks, and the columns it has."""
        path = tmp_path / "map.csv"
        path.write_text("Vorname,firstname\nFirma,company\nKonto,name\n", encoding="utf-8")
        with pytest.raises(ColumnMappingError) as caught:
            load_mapping(path, Contact)
        assert str(caught.value).startswith(
            f"cannot use the mapping file {path}: 'Firma' must be a contact column, or nothing "
            "to leave the column out (got 'company'). 'Konto' must be a contact column, or "
            "nothing to leave the column out (got 'name'). The columns it may name: contactid, "
            "statecode, statuscode, emailaddress1,"
        )
        assert [p.path for p in caught.value.problems] == ["Firma", "Konto"]
        assert isinstance(caught.value, ValueError)
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            (
                "map.json",
                "[1, 2]",
                "'mapping' must be a JSON object of column: field (got a list).",
            ),
            ("map.json", "{", "'mapping' must be a JSON object of column: field (got not JSON:"),
            (
                "map.csv",
                "a,b,c\n",
                "'line 1' must be two fields: column,field (got ['a', 'b', 'c']).",
            ),
            (
                "map.json",
                '{"a": 1}',
                "'a' must be a lead column, or nothing to leave the column out (got 1).",
            ),
        ],
        ids=["not an object", "not JSON", "three fields", "not text"],
    )
    def test_unusable_files(self, tmp_path: Path, name: str, content: str, message: str) -> None:
        """A mapping that cannot be read is a ColumnMappingError naming the problem."""
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ColumnMappingError) as caught:
            load_mapping(path, Lead)
        assert message in str(caught.value)

    def test_a_dict(self) -> None:
        """A dict is checked as a file is."""
        assert dict(load_mapping({"Mail": "EMAILADDRESS1"}, Lead)) == {"Mail": "emailaddress1"}
        with pytest.raises(ColumnMappingError, match="cannot use the mapping file the mapping"):
            load_mapping({"Mail": "email"}, Lead)


IDENTITIES = [
    pytest.param(Lead, {"leadid": " l-1 ", "emailaddress1": "a@b.com"}, ("leadid", "l-1"), id="pk"),
    pytest.param(
        Lead,
        {"leadid": " ", "emailaddress1": " A@B.com "},
        ("emailaddress1", "a@b.com"),
        id="email",
    ),
    pytest.param(
        Contact,
        {"emailaddress1": "test@test.com", "firstname": "Zoë", "lastname": "Müller"},
        ("firstname/lastname", "muller|zoe"),
        id="placeholder email, names",
    ),
    pytest.param(Contact, {"firstname": "Dana"}, None, id="first name alone"),
    pytest.param(Account, {"name": "Contoso Ltd"}, ("name", "contoso ltd"), id="account name"),
    pytest.param(Lead, {"jobtitle": "CEO", "donotemail": "true"}, None, id="nothing"),
]


class TestIdentity:
    """What says which record a row is."""

    @pytest.mark.parametrize(("kind", "values", "expected"), IDENTITIES)
    def test_identity_of(
        self, kind: type[Record], values: dict[str, object], expected: tuple[str, str] | None
    ) -> None:
        """Primary key, else normalised email, else first and last name (an account's name)."""
        identity = identity_of(kind, values)
        assert (identity and (identity.field, identity.key)) == expected

    def test_repeats(self) -> None:
        """The second row with an identity is refused, naming the first's line."""
        seen = Identities(Lead)
        first = identity_of(Lead, {"emailaddress1": "dana@contoso.com"})
        again = identity_of(Lead, {"emailaddress1": " DANA@contoso.com"})
        assert first is not None
        assert again is not None
        assert seen.first_line(first, 2) is None
        assert seen.first_line(again, 7) == 2
        error = seen.repeated(again, 7, 2)
        assert (error.line, error.field, error.repeats) == (7, "emailaddress1", 2)
        assert error.describe(command_line=True) == (
            "line 7, emailaddress1: repeats the emailaddress1 of line 2 (' DANA@contoso.com'): "
            "a file holds each lead once; keep one of the two rows. Import it with "
            "--on-repeated skip to keep the earlier row and skip this one."
        )
        assert "on_repeated='skip'" in error.describe()

    def test_no_identity(self) -> None:
        """The rejection names what would have given the row an identity."""
        assert no_identity(Account, 4).describe() == (
            "line 4: has no identity: no accountid, no emailaddress1, nor name; a row that "
            "does not say which account it is is not imported."
        )


class TestErrorsFile:
    """Rejected rows written back, to be fixed and imported again."""

    def test_one_line_per_row_with_its_columns(self, tmp_path: Path) -> None:
        """line, field, reason, then the row's own columns; a row's problems together."""
        row = {"First Name": "Dana", "Email": "nope", "donotemail": True}
        rejected = [
            RowError(3, "Email", "'emailaddress1' must be an email address.", row=row),
            RowError(3, "donotemail", "bad flag.", row=row),
            RowError(5, "emailaddress1", "deleted.", override="allow_tombstoned", row={"x": None}),
            RowError(6, None, "is not JSON.", row=None),
        ]
        path = tmp_path / "out" / "errors.csv"
        assert write_rejections(rejected, path, command_line=True) == 3
        with path.open(encoding="utf-8", newline="") as file:
            lines = list(csv.reader(file))
        assert lines == [
            ["line", "field", "reason", "First Name", "Email", "donotemail", "x"],
            [
                "3",
                "Email; donotemail",
                "'emailaddress1' must be an email address. bad flag.",
                "Dana",
                "nope",
                "true",
                "",
            ],
            [
                "5",
                "emailaddress1",
                "deleted. Import it with --allow-tombstoned to accept it anyway.",
                "",
                "",
                "",
                "",
            ],
            ["6", "", "is not JSON.", "", "", "", ""],
        ]

    def test_errors_are_problem_shaped(self) -> None:
        """ColumnMappingError holds Problems, as every collecting error does."""
        problem = Problem("Firma", "a lead column", "company")
        error = ColumnMappingError("m.csv", [problem])
        assert error.problems == (problem,)


def test_matching_io_loads_no_store_or_terminal_code() -> None:
    """Importing matching.io loads no SQLAlchemy, pandas, click or rich."""
    code = (
        "import sys, matching.io\n"
        "heavy = {'sqlalchemy', 'alembic', 'pandas', 'click', 'rich'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
