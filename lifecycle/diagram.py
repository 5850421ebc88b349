"""Diagrams of a machine, generated from its :class:`~lifecycle.machines.MachineDefinition`.

Nothing here is drawn by hand: every state (label, statecode, status reasons with
their statuscodes), every transition (trigger, guards, the status it sets) comes
from the definition, so a diagram can never disagree with the machine it shows.

- :func:`to_mermaid` writes a Mermaid ``stateDiagram-v2`` (renders on GitHub and in
  mkdocs); :func:`to_dot` writes Graphviz DOT. Both are plain text, need nothing
  installed, and are deterministic: the same definition always gives the same text.
- :func:`render` turns the DOT text into SVG or PNG with Graphviz's ``dot`` program,
  which must be on ``PATH``; without it, :class:`~lifecycle.errors.DiagramError`
  says what to install.
- :func:`export` picks one of the four by name.

Each takes a :class:`~lifecycle.machines.MachineDefinition` (such as
``lifecycle.definitions.LEAD_MACHINE``); anything else raises
:class:`~lifecycle.errors.FieldTypeError`.

Edges that share a source and a destination are drawn once, their labels joined
by ``", "``. A label reads ``trigger [guard, ...] / Status``: the guards a
transition checks, and the status reason it sets when its destination has more
than one.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterable
from typing import Literal, overload

from lifecycle.errors import DiagramError, FieldTypeError
from lifecycle.machines import MachineDefinition, TransitionSpec, iter_edges
from lifecycle.states import CodedState, CodedStatus, statuses_of

TextFormat = Literal["mermaid", "dot"]
ImageFormat = Literal["svg", "png"]
Format = Literal["mermaid", "dot", "svg", "png"]

TEXT_FORMATS: tuple[TextFormat, ...] = ("mermaid", "dot")
"""Formats :func:`export` returns as ``str``."""
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("svg", "png")
"""Formats :func:`export` returns as ``bytes``; they need Graphviz's ``dot``."""
FORMATS: tuple[Format, ...] = (*TEXT_FORMATS, *IMAGE_FORMATS)
"""Every format :func:`export` knows, text formats first."""
EXTENSIONS: dict[str, str] = {"mermaid": "mmd", "dot": "dot", "svg": "svg", "png": "png"}
"""The usual file extension of each format."""

INSTALL_GRAPHVIZ = (
    "install Graphviz (apt-get install graphviz / brew install graphviz / "
    "https://graphviz.org/download/)"
)
"""What to do when ``dot`` is missing; part of the :class:`DiagramError` message."""

_MERMAID_RESERVED = frozenset(
    {
        "accdescr",
        "acctitle",
        "as",
        "class",
        "classdef",
        "click",
        "default",
        "direction",
        "end",
        "hide",
        "left",
        "note",
        "of",
        "right",
        "scale",
        "state",
        "statediagram",
        "style",
    }
)


# --- what every format shows ------------------------------------------------------------


def _check(definition: object) -> None:
    if not isinstance(definition, MachineDefinition):
        raise FieldTypeError(
            "definition",
            "a MachineDefinition (e.g. lifecycle.definitions.LEAD_MACHINE)",
            definition,
        )


def _state_title(state: CodedState) -> str:
    code = "no statecode" if state.code is None else f"statecode {state.code}"
    return f"{state.label} ({code})"


def _status_line(status: CodedStatus) -> str:
    return f"{status.code} {status.label}"


def _spec_label(definition: MachineDefinition, spec: TransitionSpec) -> str:
    label = spec.trigger
    if spec.guards:
        label += " [" + ", ".join(g.name for g in spec.guards) + "]"
    reasons = statuses_of(spec.dest, definition.statuses)
    if len(reasons) > 1:
        if spec.status is not None:
            label += f" / {spec.status.label}"
        elif spec.status_choices and set(spec.status_choices) != set(reasons):
            label += " / " + "|".join(s.label for s in spec.status_choices)
    return label


def _edges(
    definition: MachineDefinition,
) -> list[tuple[CodedState, CodedState, list[TransitionSpec]]]:
    """Edges grouped by (source, dest), in the order they first appear."""
    grouped: dict[tuple[CodedState, CodedState], list[TransitionSpec]] = {}
    for source, dest, spec in iter_edges(definition):
        grouped.setdefault((source, dest), []).append(spec)
    return [(source, dest, specs) for (source, dest), specs in grouped.items()]


def _edge_label(definition: MachineDefinition, specs: Iterable[TransitionSpec]) -> str:
    return ", ".join(dict.fromkeys(_spec_label(definition, s) for s in specs))


def _edge_tooltip(specs: Iterable[TransitionSpec]) -> str:
    parts = []
    for spec in specs:
        details = [spec.text] if spec.text else []
        details.extend(g.text for g in spec.guards)
        parts.append(spec.trigger + (": " + "; ".join(details) if details else ""))
    return "\n".join(dict.fromkeys(parts))


def _ordered_finals(definition: MachineDefinition) -> list[CodedState]:
    return [s for s in definition.states if s in definition.finals]


# --- Mermaid -------------------------------------------------------------------------------


def _mermaid_ids(definition: MachineDefinition) -> dict[CodedState, str]:
    ids: dict[CodedState, str] = {}
    taken: set[str] = set()
    for state in definition.states:
        ident = re.sub(r"\W", "_", state.value, flags=re.ASCII) or "state"
        if ident[0].isdigit():
            ident = "s_" + ident
        if ident.lower() in _MERMAID_RESERVED:
            ident += "_state"
        base, n = ident, 2
        while ident in taken:
            ident, n = f"{base}_{n}", n + 1
        taken.add(ident)
        ids[state] = ident
    return ids


_MERMAID_SAFE = str.maketrans({'"': "'", ":": " -", ";": ",", "<": "\u2039", ">": "\u203a"})


def _mermaid_text(text: str) -> str:
    # A quoted state name ends at '"'; a description ends at ':', ';' or a newline.
    # Mermaid would treat "<...>" as HTML and drop it: angle brackets become U+2039/U+203A.
    return " ".join(text.translate(_MERMAID_SAFE).split())


def to_mermaid(definition: MachineDefinition) -> str:
    """The machine as a Mermaid ``stateDiagram-v2``.

    Each state shows its label and statecode, and below them its status reasons
    with their statuscodes; ``[*]`` marks the initial state and the final ones.
    """
    _check(definition)
    ids = _mermaid_ids(definition)
    lines = [
        "---",
        f"title: {_mermaid_text(definition.name)} lifecycle",
        "---",
        "stateDiagram-v2",
        f"    %% generated by leadflow from the {_mermaid_text(definition.name)!r} machine definition",
    ]
    for state in definition.states:
        lines.append(f'    state "{_mermaid_text(_state_title(state))}" as {ids[state]}')
        reasons = statuses_of(state, definition.statuses)
        if reasons:
            listing = ", ".join(_status_line(s) for s in reasons)
            lines.append(f"    {ids[state]} : {_mermaid_text('statuscode ' + listing)}")
    lines.append(f"    [*] --> {ids[definition.initial]}")
    for source, dest, specs in _edges(definition):
        label = _mermaid_text(_edge_label(definition, specs))
        lines.append(f"    {ids[source]} --> {ids[dest]} : {label}")
    lines.extend(f"    {ids[final]} --> [*]" for final in _ordered_finals(definition))
    return "\n".join(lines) + "\n"


# --- Graphviz DOT --------------------------------------------------------------------------


def _dot_string(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes, quotes and newlines escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _dot_node_label(definition: MachineDefinition, state: CodedState) -> str:
    code = "no statecode" if state.code is None else f"statecode {state.code}"
    rows = [
        f"<tr><td><b>{html.escape(state.label)}</b></td></tr>",
        f"<tr><td>{html.escape(code)}</td></tr>",
    ]
    reasons = statuses_of(state, definition.statuses)
    if reasons:
        rows.append("<hr/>")
        rows.extend(
            f'<tr><td align="left">{html.escape(_status_line(s))}</td></tr>' for s in reasons
        )
    table = '<table border="0" cellborder="0" cellspacing="0" cellpadding="2">'
    return f"<{table}{''.join(rows)}</table>>"


def to_dot(definition: MachineDefinition) -> str:
    """The machine as a Graphviz DOT ``digraph``.

    States are rounded boxes listing their statecode and status reasons; final
    states have a double border; a point marks the initial state.
    """
    _check(definition)
    states = list(definition.states)
    start = "__initial__"
    while any(s.value == start for s in states):
        start = "_" + start + "_"
    name = definition.name
    lines = [
        f"// generated by leadflow from the {name!r} machine definition",
        f"digraph {_dot_string(name)} {{",
        f"    graph [label={_dot_string(name + ' lifecycle')}, labelloc=t, rankdir=LR, "
        'fontname="Helvetica"];',
        '    node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=10];',
        f'    {_dot_string(start)} [shape=point, width=0.15, label=""];',
    ]
    for state in states:
        attributes = [f"label={_dot_node_label(definition, state)}"]
        if state in definition.finals:
            attributes.append("peripheries=2")
        lines.append(f"    {_dot_string(state.value)} [{', '.join(attributes)}];")
    lines.append(f"    {_dot_string(start)} -> {_dot_string(definition.initial.value)};")
    for source, dest, specs in _edges(definition):
        label = _dot_string(_edge_label(definition, specs))
        tooltip = _dot_string(_edge_tooltip(specs))
        lines.append(
            f"    {_dot_string(source.value)} -> {_dot_string(dest.value)} "
            f"[label={label}, tooltip={tooltip}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- rendering -----------------------------------------------------------------------------


def render(definition: MachineDefinition, fmt: ImageFormat, *, timeout: float = 60.0) -> bytes:
    """The machine drawn as SVG or PNG by Graphviz's ``dot`` program.

    Raises :class:`~lifecycle.errors.DiagramError` when ``fmt`` is not ``"svg"`` or
    ``"png"``, when ``dot`` is not on ``PATH`` (the message says how to install
    Graphviz), or when ``dot`` fails or runs longer than ``timeout`` seconds.
    """
    _check(definition)
    if fmt not in IMAGE_FORMATS:
        raise DiagramError(f"'fmt' must be one of {', '.join(IMAGE_FORMATS)} (got {fmt!r}).")
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError(
            f"rendering {fmt.upper()} needs the Graphviz 'dot' program, which is not on "
            f"PATH: {INSTALL_GRAPHVIZ}."
        )
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}"],
            input=to_dot(definition).encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise DiagramError(f"'dot -T{fmt}' did not finish within {timeout:g} seconds.") from err
    except OSError as err:
        raise DiagramError(f"could not run {dot!r}: {err}.") from err
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip() or "no message"
        raise DiagramError(f"'dot -T{fmt}' failed (exit {done.returncode}): {stderr}")
    return done.stdout


@overload
def export(definition: MachineDefinition, fmt: TextFormat) -> str: ...
@overload
def export(definition: MachineDefinition, fmt: ImageFormat) -> bytes: ...
@overload
def export(definition: MachineDefinition, fmt: str) -> str | bytes: ...
def export(definition: MachineDefinition, fmt: str) -> str | bytes:
    """The machine in ``fmt``: ``"mermaid"`` or ``"dot"`` text, ``"svg"`` or ``"png"`` bytes."""
    _check(definition)
    if fmt == "mermaid":
        return to_mermaid(definition)
    if fmt == "dot":
        return to_dot(definition)
    for image in IMAGE_FORMATS:
        if fmt == image:
            return render(definition, image)
    raise DiagramError(f"'fmt' must be one of {', '.join(FORMATS)} (got {fmt!r}).")
