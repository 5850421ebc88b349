"""Diagrams generated from the machine definitions (lifecycle.diagram).

Expectations are derived from the definitions themselves, so a state, status or
trigger added to a machine is checked here without touching this file. Tests that
run Graphviz's ``dot`` are marked ``graphviz``: they skip without it, except in CI
(``CI`` set), where a missing ``dot`` fails them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from lifecycle import LeadState, LeadStatus
from lifecycle.definitions import LEAD_MACHINE, MACHINES
from lifecycle.diagram import (
    FORMATS,
    IMAGE_FORMATS,
    TEXT_FORMATS,
    export,
    render,
    to_dot,
    to_mermaid,
)
from lifecycle.diagram import export as export_diagram
from lifecycle.diagram import render as render_diagram
from lifecycle.errors import DiagramError, FieldTypeError
from lifecycle.machines import Guard, MachineDefinition, TransitionSpec, iter_edges
from lifecycle.states import CodedState, CodedStatus, statuses_of

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class TicketState(CodedState):
    """A made-up machine whose names need escaping in both formats."""

    NEW = ("new", 0, "New")
    IN_PROGRESS = ("in-progress", 1, 'In "progress"')
    END = ("end", None, "Closed: done")


class TicketStatus(CodedStatus):
    """Status reasons of :class:`TicketState`, with characters that need care."""

    FRESH = ("fresh", 1, "Fresh", "new")
    WORKING = ("working", 2, "Working; busy", "in-progress")
    WAITING = ("waiting", 30, "Waiting <customer> & co", "in-progress")


HAS_OWNER = Guard("has owner", 'someone said "mine"', lambda record, params: None)

TICKET_MACHINE = MachineDefinition(
    name="ticket",
    states=TicketState,
    statuses=TicketStatus,
    initial=TicketState.NEW,
    finals=frozenset({TicketState.END}),
    transitions=(
        TransitionSpec(
            "start",
            (TicketState.NEW,),
            TicketState.IN_PROGRESS,
            status=TicketStatus.WORKING,
            guards=(HAS_OWNER,),
            text='picked up: "on it"',
        ),
        TransitionSpec(
            "wait", (TicketState.IN_PROGRESS,), TicketState.IN_PROGRESS, status=TicketStatus.WAITING
        ),
        TransitionSpec("close", (TicketState.NEW, TicketState.IN_PROGRESS), TicketState.END),
    ),
)

ALL_MACHINES = {**MACHINES, "ticket": TICKET_MACHINE}
MACHINE_IDS = list(ALL_MACHINES)

# One line of the Mermaid subset to_mermaid writes after the ``stateDiagram-v2`` header.
_MERMAID_ID = r"[A-Za-z_]\w*"
_MERMAID_LINE = re.compile(
    rf'(%%.*|state "[^"\n]*" as {_MERMAID_ID}|{_MERMAID_ID} : [^:;\n]+'
    rf"|({_MERMAID_ID}|\[\*\]) --> ({_MERMAID_ID}|\[\*\])( : [^:;\n]+)?)"
)


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


@pytest.fixture(params=MACHINE_IDS)
def definition(request: pytest.FixtureRequest) -> MachineDefinition:
    """Each shipped machine, and a made-up one with awkward names."""
    return ALL_MACHINES[request.param]


def mermaid_body(text: str) -> list[str]:
    """The lines after ``stateDiagram-v2``, stripped."""
    lines = text.splitlines()
    return [line.strip() for line in lines[lines.index("stateDiagram-v2") + 1 :]]


def mermaid_ids(text: str) -> dict[str, str]:
    """``{state title: mermaid id}`` from the ``state "..." as id`` lines."""
    return dict(re.findall(rf'^\s*state "([^"]*)" as ({_MERMAID_ID})$', text, flags=re.M))


def mermaid_label(text: str) -> str:
    """``text`` as to_mermaid must write it: no quote, colon, semicolon or angle bracket."""
    return text.translate(
        str.maketrans({'"': "'", ":": " -", ";": ",", "<": "\u2039", ">": "\u203a"})
    )


def dot_json(dot: str, text: str) -> dict[str, object]:
    """``text`` parsed by Graphviz and returned as its JSON graph."""
    done = subprocess.run([dot, "-Tjson"], input=text.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b"", done.stderr.decode()
    return json.loads(done.stdout)  # type: ignore[no-any-return]


class TestMermaid:
    """to_mermaid: a stateDiagram-v2 generated from the definition."""

    def test_header_and_title(self, definition: MachineDefinition) -> None:
        """The text is a titled stateDiagram-v2."""
        text = to_mermaid(definition)
        assert text.startswith(f"---\ntitle: {definition.name} lifecycle\n---\nstateDiagram-v2\n")

    def test_every_line_is_valid_mermaid(self, definition: MachineDefinition) -> None:
        """Each line is a comment, a state, a state description or a transition."""
        for line in mermaid_body(to_mermaid(definition)):
            assert _MERMAID_LINE.fullmatch(line), line

    def test_every_state_with_label_and_statecode(self, definition: MachineDefinition) -> None:
        """Every state appears once, with its label and statecode, under a unique simple id."""
        ids = mermaid_ids(to_mermaid(definition))
        assert len(ids) == len(definition.states) == len(set(ids.values()))
        for state, title in zip(definition.states, ids, strict=True):
            code = "no statecode" if state.code is None else f"statecode {state.code}"
            assert title == f"{mermaid_label(state.label)} ({code})"

    def test_every_status_reason_with_statuscode(self, definition: MachineDefinition) -> None:
        """Every status reason is listed, with its statuscode, on the state it belongs to."""
        text = to_mermaid(definition)
        ids = {s.value: i for s, i in _ids_by_state(definition, text).items()}
        for status in definition.statuses:
            prefix = f"{ids[status.state_value]} : statuscode "
            (line,) = [line for line in mermaid_body(text) if line.startswith(prefix)]
            assert f"{status.code} {mermaid_label(status.label)}" in line

    def test_every_edge_with_trigger_and_guards(self, definition: MachineDefinition) -> None:
        """Each (source, dest) edge carries the triggers and guard names of its transitions."""
        text = to_mermaid(definition)
        ids = _ids_by_state(definition, text)
        for source, dest, spec in iter_edges(definition):
            edge = f"{ids[source]} --> {ids[dest]} : "
            line = next(line for line in mermaid_body(text) if line.startswith(edge))
            assert re.search(rf"\b{re.escape(spec.trigger)}\b", line), (spec.trigger, line)
            for guard in spec.guards:
                assert guard.name in line

    def test_every_trigger_appears(self, definition: MachineDefinition) -> None:
        """Every trigger of the definition is named in the diagram."""
        text = to_mermaid(definition)
        for trigger in definition.triggers:
            assert re.search(rf" : (.*\W)?{re.escape(trigger)}\b", text), trigger

    def test_initial_and_final_states(self, definition: MachineDefinition) -> None:
        """``[*]`` points at the initial state, and every final state points at ``[*]``."""
        body = mermaid_body(to_mermaid(definition))
        ids = _ids_by_state(definition, to_mermaid(definition))
        assert f"[*] --> {ids[definition.initial]}" in body
        finals = [line for line in body if line.endswith("--> [*]")]
        assert sorted(finals) == sorted(f"{ids[s]} --> [*]" for s in definition.finals)

    def test_shared_edges_are_combined(self) -> None:
        """Transitions sharing a source and a destination are drawn as one labelled edge."""
        body = mermaid_body(to_mermaid(LEAD_MACHINE))
        edges = [line.split(" : ")[0] for line in body if " --> " in line]
        assert len(edges) == len(set(edges))
        (line,) = [line for line in body if line.startswith("open --> disqualified : ")]
        assert "disqualify [no opportunity]" in line
        assert "merge_into [no opportunity] / Canceled" in line

    def test_awkward_ids_become_simple_identifiers(self) -> None:
        """State values that are not identifiers, or are Mermaid keywords, get safe ids."""
        ids = _ids_by_state(TICKET_MACHINE, to_mermaid(TICKET_MACHINE))
        assert ids[TicketState.IN_PROGRESS] == "in_progress"
        assert ids[TicketState.END] == "end_state"


def _ids_by_state(definition: MachineDefinition, text: str) -> dict[CodedState, str]:
    """Map each state of ``definition`` to its Mermaid id (states are listed in order)."""
    ids = list(mermaid_ids(text).values())
    return dict(zip(definition.states, ids, strict=True))


class TestDot:
    """to_dot: a Graphviz digraph generated from the definition."""

    def test_every_state_with_label_and_statecode(self, definition: MachineDefinition) -> None:
        """Every state is a node whose label names it and its statecode."""
        text = to_dot(definition)
        for state in definition.states:
            (line,) = [
                line for line in text.splitlines() if line.strip().startswith(f'"{state.value}" [')
            ]
            assert _html(state.label) in line
            code = "no statecode" if state.code is None else f"statecode {state.code}"
            assert code in line

    def test_every_status_reason_with_statuscode(self, definition: MachineDefinition) -> None:
        """Every status reason is listed, with its statuscode, in its state's node."""
        text = to_dot(definition)
        for status in definition.statuses:
            (line,) = [
                line
                for line in text.splitlines()
                if line.strip().startswith(f'"{status.state_value}" [')
            ]
            assert f">{status.code} {_html(status.label)}<" in line

    def test_every_edge_with_trigger_and_guards(self, definition: MachineDefinition) -> None:
        """Each (source, dest) edge's label names its triggers and guards."""
        text = to_dot(definition)
        for source, dest, spec in iter_edges(definition):
            prefix = f'"{source.value}" -> "{dest.value}" [label="'
            (line,) = [
                line.strip() for line in text.splitlines() if line.strip().startswith(prefix)
            ]
            label = line[len(prefix) :].split('", tooltip=')[0]
            assert re.search(rf"\b{re.escape(spec.trigger)}\b", label), (spec.trigger, label)
            for guard in spec.guards:
                assert guard.name in label

    def test_finals_have_a_double_border_and_initial_a_point(
        self, definition: MachineDefinition
    ) -> None:
        """Final states have ``peripheries=2``; a point node leads to the initial state."""
        lines = [line.strip() for line in to_dot(definition).splitlines()]
        for state in definition.states:
            (line,) = [line for line in lines if line.startswith(f'"{state.value}" [')]
            assert ("peripheries=2" in line) == (state in definition.finals)
        assert '"__initial__" [shape=point, width=0.15, label=""];' in lines
        assert f'"__initial__" -> "{definition.initial.value}";' in lines

    def test_quotes_are_escaped(self) -> None:
        """Quotes in labels and tooltips are backslash-escaped, never left bare."""
        text = to_dot(TICKET_MACHINE)
        assert 'picked up: \\"on it\\"' in text
        assert 'someone said \\"mine\\"' in text
        assert "In &quot;progress&quot;" in text
        assert "Waiting &lt;customer&gt; &amp; co" in text

    @pytest.mark.graphviz
    def test_dot_parses_it(self, definition: MachineDefinition, dot_binary: str) -> None:
        """Graphviz parses the text without a warning, into exactly the machine's graph."""
        graph = dot_json(dot_binary, to_dot(definition))
        names = {obj["_gvid"]: obj["name"] for obj in graph["objects"]}  # type: ignore[attr-defined]
        assert set(names.values()) == {s.value for s in definition.states} | {"__initial__"}
        edges = {(names[e["tail"]], names[e["head"]]) for e in graph["edges"]}  # type: ignore[attr-defined]
        expected = {(s.value, d.value) for s, d, _ in iter_edges(definition)}
        assert edges == expected | {("__initial__", definition.initial.value)}
        assert len(graph["edges"]) == len(edges)  # type: ignore[arg-type]


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


class TestGenerated:
    """The diagrams follow the definition, not a drawing kept by hand."""

    def test_a_new_trigger_shows_up(self) -> None:
        """A trigger added to the lead machine appears in both formats."""
        extended = attrs.evolve(
            LEAD_MACHINE,
            transitions=(
                *LEAD_MACHINE.transitions,
                TransitionSpec("nurture", (LeadState.OPEN,), LeadState.OPEN, status=LeadStatus.NEW),
            ),
        )
        assert "nurture" not in to_mermaid(LEAD_MACHINE)
        assert "open --> open : mark_contacted / Contacted, absorb, nurture / New" in to_mermaid(
            extended
        )
        assert "nurture / New" in to_dot(extended)

    def test_a_new_machine_shows_its_states(self) -> None:
        """A machine built here is drawn with its own states, statuses and triggers."""
        text = to_mermaid(TICKET_MACHINE)
        assert "state \"In 'progress' (statecode 1)\" as in_progress" in text
        assert (
            "in_progress : statuscode 2 Working, busy, 30 Waiting \u2039customer\u203a & co" in text
        )
        assert "new --> in_progress : start [has owner] / Working, busy" in text
        assert "end_state --> [*]" in text

    @pytest.mark.parametrize("fmt", TEXT_FORMATS)
    def test_deterministic_across_processes(self, fmt: str) -> None:
        """The text is identical in processes with different hash seeds."""
        code = (
            "import sys; from lifecycle.definitions import MACHINES; "
            "from lifecycle.diagram import export as export_diagram; "
            f"sys.stdout.write(''.join(export_diagram(d, {fmt!r}) for d in MACHINES.values()))"
        )
        outputs = {
            subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": seed},
            ).stdout
            for seed in ("1", "2")
        }
        assert len(outputs) == 1


class TestRender:
    """render and export: SVG and PNG through Graphviz's dot."""

    @pytest.mark.graphviz
    @pytest.mark.parametrize("name", list(MACHINES))
    def test_svg(self, name: str, dot_binary: str) -> None:
        """SVG output is an SVG document."""
        data = render(MACHINES[name], "svg")
        assert data.startswith(b"<?xml") or b"<svg" in data
        assert b"</svg>" in data

    @pytest.mark.graphviz
    @pytest.mark.parametrize("name", list(MACHINES))
    def test_png(self, name: str, dot_binary: str) -> None:
        """PNG output starts with the PNG signature."""
        assert render(MACHINES[name], "png").startswith(PNG_MAGIC)

    @pytest.mark.graphviz
    def test_awkward_names_render(self, dot_binary: str) -> None:
        """Quotes, angle brackets and ampersands survive into the SVG."""
        data = render(TICKET_MACHINE, "svg").decode()
        assert "Waiting &lt;customer&gt; &amp; co" in data

    @pytest.mark.graphviz
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_export_dispatches(self, fmt: str, dot_binary: str) -> None:
        """export returns text for mermaid and dot, and bytes for svg and png."""
        result = export(LEAD_MACHINE, fmt)
        if fmt in TEXT_FORMATS:
            assert result == {"mermaid": to_mermaid, "dot": to_dot}[fmt](LEAD_MACHINE)
        else:
            assert isinstance(result, bytes)

    def test_public_names(self) -> None:
        """The package re-exports the diagram functions."""
        assert (export_diagram, render_diagram) == (export, render)

    @pytest.mark.parametrize("fmt", IMAGE_FORMATS)
    def test_missing_dot_names_graphviz(self, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without dot on PATH, DiagramError says to install Graphviz."""
        monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
        with pytest.raises(DiagramError, match="install Graphviz") as info:
            render(LEAD_MACHINE, fmt)  # type: ignore[arg-type]
        assert "apt-get install graphviz" in str(info.value)
        assert "brew install graphviz" in str(info.value)

    def test_text_formats_need_no_dot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Mermaid and DOT text are produced without Graphviz."""
        monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
        assert export(LEAD_MACHINE, "mermaid").startswith("---")
        assert export(LEAD_MACHINE, "dot").startswith("//")

    @pytest.mark.parametrize("fmt", ["pdf", "", "SVG", "mmd"])
    def test_unknown_format(self, fmt: str) -> None:
        """An unknown format is a DiagramError naming the known ones."""
        with pytest.raises(DiagramError, match="must be one of"):
            export(LEAD_MACHINE, fmt)
        with pytest.raises(DiagramError, match="must be one of svg, png"):
            render(LEAD_MACHINE, fmt)  # type: ignore[arg-type]

    def test_dot_failure_carries_its_stderr(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When dot exits non-zero, DiagramError carries its exit code and stderr."""
        fake = _script(tmp_path, "echo 'Error: syntax error in line 3' >&2; exit 3")
        monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: str(fake))
        with pytest.raises(DiagramError, match=r"failed \(exit 3\): Error: syntax error in line 3"):
            render(LEAD_MACHINE, "svg")

    def test_dot_timeout(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A dot that hangs is stopped after the timeout."""
        fake = _script(tmp_path, "exec sleep 10")
        monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: str(fake))
        with pytest.raises(DiagramError, match=r"did not finish within 0\.2 seconds"):
            render(LEAD_MACHINE, "png", timeout=0.2)


class TestNotADefinition:
    """Every entry point takes a MachineDefinition and refuses anything else with a typed error."""

    @pytest.mark.parametrize(
        "call",
        [
            to_mermaid,
            to_dot,
            lambda d: render(d, "svg"),
            lambda d: export(d, "mermaid"),
            lambda d: export(d, "png"),
        ],
        ids=["to_mermaid", "to_dot", "render", "export-text", "export-image"],
    )
    @pytest.mark.parametrize("value", ["lead", None, MACHINES, LeadState], ids=repr)
    def test_field_type_error(self, call: Any, value: Any) -> None:
        """A name, None, the registry or a state enum is a FieldTypeError naming 'definition'."""
        with pytest.raises(FieldTypeError, match=r"^'definition' must be a MachineDefinition"):
            call(value)

    @pytest.mark.parametrize("name", list(MACHINES))
    def test_states_list_their_statuses(self, name: str) -> None:
        """Each state's status reasons in the diagram are lifecycle.states.statuses_of's."""
        definition = MACHINES[name]
        text = to_mermaid(definition)
        for state in definition.states:
            for status in statuses_of(state, definition.statuses):
                assert f"{status.code} {status.label}" in text


def _script(tmp_path: Path, body: str) -> Path:
    """An executable shell script standing in for dot."""
    path = tmp_path / "dot"
    path.write_text(f"#!/bin/sh\ncat >/dev/null\n{body}\n")
    path.chmod(0o755)
    return path
