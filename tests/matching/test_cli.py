"""The ``leadflow`` command line (matching.cli): ``diagram`` and ``demo``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lifecycle import MessageKind
from lifecycle.definitions import MACHINES
from lifecycle.diagram import to_dot, to_mermaid
from matching.cli import cli
from matching.demo import SHOWN_KINDS, run_scenario

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEXT = {"mermaid": ("mmd", to_mermaid), "dot": ("dot", to_dot)}


@pytest.fixture
def dot_binary() -> str:
    """The path of Graphviz's ``dot``: skip without it, but fail in CI."""
    path = shutil.which("dot")
    if path is None:
        message = "needs Graphviz's dot binary (apt-get install graphviz)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must have it")
        pytest.skip(message)
    return path


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend Graphviz is not installed."""
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)


def invoke(*args: str) -> Result:
    """Run ``leadflow ARGS`` in-process, wide enough that rich does not wrap lines."""
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def flat(text: str) -> str:
    """``text`` with runs of whitespace collapsed, so table wrapping does not matter."""
    return " ".join(text.split())


class TestDiagram:
    """``leadflow diagram MACHINE --format FMT [-o FILE]``."""

    @pytest.mark.parametrize("name", list(MACHINES))
    def test_mermaid_to_stdout(self, name: str) -> None:
        """The default format, Mermaid, goes to standard output."""
        result = invoke("diagram", name)
        assert result.exit_code == 0, result.output
        assert "stateDiagram-v2" in result.stdout
        assert result.stdout == to_mermaid(MACHINES[name])

    @pytest.mark.parametrize("fmt", list(TEXT))
    def test_text_to_file(self, fmt: str, tmp_path: Path) -> None:
        """-o writes the text to the file and nothing to standard output."""
        ext, generate = TEXT[fmt]
        target = tmp_path / "out" / f"lead.{ext}"
        result = invoke("diagram", "lead", "--format", fmt, "-o", str(target))
        assert result.exit_code == 0, result.output
        assert target.read_text(encoding="utf-8") == generate(MACHINES["lead"])
        assert result.stdout == ""

    @pytest.mark.parametrize("args", [["bogus"], ["lead", "--format", "pdf"], []])
    def test_usage_errors(self, args: list[str]) -> None:
        """An unknown machine or format is a usage error (exit code 2)."""
        result = invoke("diagram", *args)
        assert result.exit_code == 2
        assert "Usage:" in result.output

    def test_all_needs_a_directory(self) -> None:
        """``diagram all`` without -o is a usage error."""
        result = invoke("diagram", "all")
        assert result.exit_code == 2
        assert "needs -o DIR" in result.output

    @pytest.mark.parametrize("fmt", list(TEXT))
    def test_all_writes_every_machine(self, fmt: str, tmp_path: Path) -> None:
        """``diagram all -o DIR`` writes one file per machine."""
        ext, generate = TEXT[fmt]
        result = invoke("diagram", "all", "--format", fmt, "-o", str(tmp_path))
        assert result.exit_code == 0, result.output
        for name, definition in MACHINES.items():
            assert (tmp_path / f"{name}.{ext}").read_text(encoding="utf-8") == generate(definition)

    @pytest.mark.parametrize("fmt", ["svg", "png"])
    def test_image_without_dot_is_one_clean_line(self, fmt: str, no_dot: None) -> None:
        """Without Graphviz, svg and png fail with one line naming it, and exit code 1."""
        result = invoke("diagram", "lead", "--format", fmt, "-o", "unused")
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert lines[0].startswith("Error: ")
        assert "install Graphviz" in lines[0]
        assert "Traceback" not in result.output

    @pytest.mark.graphviz
    def test_svg_to_file(self, tmp_path: Path, dot_binary: str) -> None:
        """svg with -o writes an SVG document."""
        target = tmp_path / "lead.svg"
        result = invoke("diagram", "lead", "--format", "svg", "-o", str(target))
        assert result.exit_code == 0, result.output
        assert b"<svg" in target.read_bytes()

    @pytest.mark.graphviz
    def test_png_to_a_pipe(self, dot_binary: str) -> None:
        """png without -o goes to standard output when it is not a terminal."""
        result = invoke("diagram", "contact", "--format", "png")
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes.startswith(PNG_MAGIC)

    @pytest.mark.graphviz
    def test_all_svg(self, tmp_path: Path, dot_binary: str) -> None:
        """``diagram all --format svg`` renders every machine."""
        result = invoke("diagram", "all", "--format", "svg", "-o", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.svg" for n in MACHINES)

    def test_unwritable_output_is_one_clean_line(self, tmp_path: Path) -> None:
        """A file that cannot be written is reported in one line, exit code 1."""
        blocker = tmp_path / "file"
        blocker.write_text("")
        result = invoke("diagram", "lead", "-o", str(blocker / "lead.mmd"))
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot write")
        assert len(result.output.strip().splitlines()) == 1


class TestDemo:
    """``leadflow demo --out DIR``."""

    def test_runs_and_writes_the_text_diagrams(self, tmp_path: Path) -> None:
        """The demo exits 0 and writes .mmd and .dot files for every machine."""
        result = invoke("demo", "--out", str(tmp_path))
        assert result.exit_code == 0, result.output
        for name, definition in MACHINES.items():
            assert (tmp_path / f"{name}.mmd").read_text(encoding="utf-8") == to_mermaid(definition)
            assert (tmp_path / f"{name}.dot").read_text(encoding="utf-8") == to_dot(definition)

    def test_shows_refusals_and_their_reasons(self, tmp_path: Path) -> None:
        """The output names what was refused and why."""
        output = flat(invoke("demo", "--out", str(tmp_path)).output)
        assert "Refused, and why" in output
        assert "disqualify: Lost opportunity OPP-0001 is linked to this lead" in output
        assert "Disqualified has no 'mark_contacted' transition" in output
        assert "the record was anonymized, which cannot be undone" in output
        assert "read-only" in output

    def test_shows_records_and_history(self, tmp_path: Path) -> None:
        """The output lists records with their codes and one lead's history."""
        output = flat(invoke("demo", "--out", str(tmp_path)).output)
        assert "Retired Do Not Market Inactive 1 Inactive 2" in output
        assert "Bea Kim Disqualified 2 Cannot Contact 5" in output
        assert "History of lead Priya Shah" in output
        assert "reactivate Qualified → Open/New" in output

    def test_shows_who_marketing_still_emails(self, tmp_path: Path) -> None:
        """The eligibility section answers, with reason codes, for the closed records and an
        active contact with Marketing consent."""
        output = flat(invoke("demo", "--out", str(tmp_path)).output)
        assert "Will marketing still email them? (asked 2025-04-08 09:00 UTC)" in output
        assert "Harold Finch Inactive commercial no contact-inactive transactional yes" in output
        assert "Bea Kim Disqualified/Cannot Contact commercial no lead-disqualified" in output
        assert "(anonymized) Inactive, anonymized commercial no record-anonymized" in output
        assert "Ana Ruiz Active commercial yes transactional yes manual yes" in output

    def test_eligibility_answers(self) -> None:
        """The deactivated contact gets no commercial email but still gets manual email (D7)."""
        answers = {entry.record: entry for entry in run_scenario().eligibility}
        assert list(answers) == ["Harold Finch", "Bea Kim", "(anonymized)", "Ana Ruiz"]
        harold = {d.kind: d for d in answers["Harold Finch"].decisions}
        assert list(harold) == list(SHOWN_KINDS)
        assert harold[MessageKind.COMMERCIAL].codes == ("contact-inactive",)
        assert harold[MessageKind.MANUAL].allowed
        assert harold[MessageKind.TRANSACTIONAL].allowed
        assert all(d.allowed for d in answers["Ana Ruiz"].decisions)
        assert not any(d.allowed for d in answers["(anonymized)"].decisions)

    def test_output_is_reproducible(self, tmp_path: Path) -> None:
        """Two runs print the same thing: the clock is fixed and no random id is shown."""
        first = invoke("demo", "--out", str(tmp_path)).output
        assert invoke("demo", "--out", str(tmp_path)).output == first

    def test_without_dot_skips_svg_with_a_note(self, tmp_path: Path, no_dot: None) -> None:
        """Without Graphviz the demo still succeeds and says SVG needs it."""
        result = invoke("demo", "--out", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert not list(tmp_path.glob("*.svg"))
        notes = [line for line in result.output.splitlines() if "SVG diagrams skipped" in line]
        assert len(notes) == 1
        assert "install Graphviz" in notes[0]

    @pytest.mark.graphviz
    def test_with_dot_writes_svg(self, tmp_path: Path, dot_binary: str) -> None:
        """With Graphviz the demo also writes an SVG per machine."""
        result = invoke("demo", "--out", str(tmp_path))
        assert result.exit_code == 0, result.output
        for name in MACHINES:
            assert b"<svg" in (tmp_path / f"{name}.svg").read_bytes()


class TestEntryPoint:
    """The installed ``leadflow`` console script."""

    def _command(self) -> list[str]:
        script = Path(sys.executable).parent / "leadflow"
        return [str(script)] if script.exists() else [sys.executable, "-m", "matching.cli"]

    def test_help(self) -> None:
        """``leadflow --help`` lists the commands and exits 0."""
        done = subprocess.run(
            [*self._command(), "--help"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "diagram" in done.stdout
        assert "demo" in done.stdout

    def test_help_loads_no_heavy_modules(self) -> None:
        """Starting the CLI imports neither pandas, recordlinkage nor rich."""
        code = (
            "import sys\n"
            "from matching.cli import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "heavy = {'pandas', 'recordlinkage', 'rich', 'graphviz'}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, "--help"], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip().splitlines()[-1] == "[]"

    def test_library_error_is_one_line(self) -> None:
        """A LeadflowError from a command is one ``Error:`` line on stderr, exit code 1."""
        env = {**os.environ, "PATH": ""}
        done = subprocess.run(
            [*self._command(), "diagram", "lead", "--format", "svg", "-o", os.devnull],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert done.returncode == 1
        assert done.stdout == ""
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("Error: rendering SVG needs the Graphviz 'dot' program")
