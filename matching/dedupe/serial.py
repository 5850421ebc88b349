"""A dedupe model as plain data and JSON: what it compares and blocks on, and what it learned.

:func:`model_to_dict` gives a versioned mapping of JSON values (see :data:`FORMAT`);
:func:`model_from_dict` reads it back. Reading refuses unknown keys at every level,
missing keys, an unknown kind, columns dedupe does not prepare, bad parameters and a
format or version it does not read, all in one error: the first problem's
:class:`~lifecycle.errors.InvalidFieldError` (or :class:`~lifecycle.errors.FieldTypeError`)
with ``problems`` listing every one, as a policy or a match strategy does. Nothing is
built until everything is right. The rules for the parameters (one probability in
(0, 1) per level, the match rate's range, the smallest block size) are the
:class:`~matching.dedupe.model.DedupeModel` constructor's, applied one field at a time
so that each bad field is reported.

The shape, version 1::

    {"format": "leadflow.dedupe-model", "version": 1,
     "comparisons": [{"name": "firstname", "kind": "name", "columns": ["first", "last"]}],
     "blocking": [{"name": "email", "columns": ["email_canonical"]}],
     "m": {"firstname": [0.85, 0.08, 0.04, 0.03]},
     "u": {"firstname": [0.01, 0.01, 0.05, 0.93]},
     "match_rate": 0.5, "max_block_size": 25, "term_frequencies": true,
     "training": null}

``training`` is ``null`` for an untrained model, else ``{"random_pairs", "candidate_pairs",
"patterns", "match_rate"}`` (:class:`~matching.dedupe.model.TrainingReport`).
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lifecycle.errors import FieldTypeError, InvalidFieldError, Problems
from matching.dedupe.blocking import DEFAULT_RULES, BlockingRule
from matching.dedupe.comparisons import COMPARISONS, Comparison, Kind
from matching.dedupe.model import DEFAULT_M, DEFAULT_U, DedupeModel, TrainingReport

FORMAT = "leadflow.dedupe-model"
"""What every model file says it holds, so that another JSON file is not read as a model."""
VERSION = 1
"""The version of the shape this module writes and reads."""

MODEL_KEYS = (
    "format",
    "version",
    "comparisons",
    "blocking",
    "m",
    "u",
    "match_rate",
    "max_block_size",
    "term_frequencies",
    "training",
)
COMPARISON_KEYS = tuple(field.name for field in attrs.fields(Comparison))
RULE_KEYS = tuple(field.name for field in attrs.fields(BlockingRule))
TRAINING_KEYS = tuple(field.name for field in attrs.fields(TrainingReport))

KNOWN_COLUMNS: frozenset[str] = frozenset(
    column for comparison, _ in COMPARISONS.values() for column in comparison.columns
) | frozenset(column for rule in DEFAULT_RULES for column in rule.columns)
"""The prepared columns a comparison or blocking rule may read: those dedupe's own
comparisons and rules read. :func:`~matching.dedupe.fields.prepare` makes them, but its
column names are literals in its body, so they are taken from their users here rather
than listed a second time."""

COLUMN_COUNTS: Mapping[Kind, int] = {
    Kind.PHONE: 2,
    Kind.EXACT: 1,
    **{comparison.kind: len(comparison.columns) for comparison, _ in COMPARISONS.values()},
}
"""How many columns a comparison of each kind reads (a name reads its own and the other
name part, a place seven): from dedupe's own comparisons, and for the two kinds none of
them uses, from :meth:`~matching.dedupe.comparisons.Comparison.levels`."""


# --- writing -----------------------------------------------------------------------------


def model_to_dict(model: DedupeModel) -> dict[str, Any]:
    """``model`` as plain JSON values that :func:`model_from_dict` reads back equal: its
    comparisons and rules, and ``m`` and ``u`` of each comparison."""
    training = model.training
    return {
        "format": FORMAT,
        "version": VERSION,
        "comparisons": [
            {"name": c.name, "kind": c.kind.value, "columns": list(c.columns)}
            for c in model.comparisons
        ],
        "blocking": [{"name": r.name, "columns": list(r.columns)} for r in model.blocking],
        "m": {c.name: [float(p) for p in model.m[c.name]] for c in model.comparisons},
        "u": {c.name: [float(p) for p in model.u[c.name]] for c in model.comparisons},
        "match_rate": float(model.match_rate),
        "max_block_size": int(model.max_block_size),
        "term_frequencies": bool(model.term_frequencies),
        "training": None
        if training is None
        else {
            "random_pairs": int(training.random_pairs),
            "candidate_pairs": int(training.candidate_pairs),
            "patterns": int(training.patterns),
            "match_rate": float(training.match_rate),
        },
    }


def model_to_json(model: DedupeModel, indent: int | None = 2) -> str:
    """:func:`model_to_dict` as JSON text (floats written so they read back exactly)."""
    return json.dumps(model_to_dict(model), indent=indent, allow_nan=False)


def save_model(model: DedupeModel, path: object) -> None:
    """Write ``model`` to the JSON file ``path`` (UTF-8)."""
    _path(path).write_text(model_to_json(model) + "\n", encoding="utf-8")


def _path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise FieldTypeError("path", "a file path (str or path)", path)
    return Path(path)


# --- reading -----------------------------------------------------------------------------


def model_from_dict(data: object) -> DedupeModel:
    """The model :func:`model_to_dict` wrote; every problem raised in one error."""
    problems = Problems()
    if not isinstance(data, Mapping):
        raise FieldTypeError("model", "a mapping of the model's keys", data)
    _keys(problems, "", data, MODEL_KEYS)
    if "format" in data and data["format"] != FORMAT:
        problems.must("format", repr(FORMAT), data["format"])
    if "version" in data:
        version = data["version"]
        if not _is_integer(version):
            problems.must("version", "a whole number", version, wrong_type=True)
        elif version != VERSION:
            problems.must("version", f"{VERSION}, the version this leadflow reads", version)
    comparisons, names = (
        _comparisons(problems, data["comparisons"]) if "comparisons" in data else ([], None)
    )
    rules = _rules(problems, data["blocking"]) if "blocking" in data else None
    tables = {
        table: _table(problems, table, data[table], comparisons, names)
        for table in ("m", "u")
        if table in data
    }
    match_rate = _match_rate(problems, data["match_rate"]) if "match_rate" in data else None
    block_size = _block_size(problems, data["max_block_size"]) if "max_block_size" in data else None
    term_frequencies = data.get("term_frequencies")
    if "term_frequencies" in data and not isinstance(term_frequencies, bool):
        problems.must("term_frequencies", "true or false", term_frequencies, wrong_type=True)
    training = _training(problems, data["training"]) if "training" in data else None
    problems.raise_if_any()
    assert rules is not None
    assert match_rate is not None
    assert block_size is not None
    assert isinstance(term_frequencies, bool)
    return DedupeModel(
        tuple(comparisons),
        tables["m"],
        tables["u"],
        blocking=rules,
        match_rate=match_rate,
        max_block_size=block_size,
        term_frequencies=term_frequencies,
        training=training,
    )


def parse_json(text: object, where: str = "") -> object:
    """``text`` (``str`` or UTF-8 ``bytes``) parsed as JSON; a syntax error is an
    :class:`~lifecycle.errors.InvalidFieldError` naming its line and column (and
    ``where`` it was read from)."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidFieldError(
                "json", "UTF-8 text", None, shown=f"{err.reason} at byte {err.start}{where}"
            ) from None
    if not isinstance(text, str):
        raise FieldTypeError("json", "JSON text (str or bytes)", text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        shown = f"{err.msg} at line {err.lineno}, column {err.colno}{where}"
        raise InvalidFieldError("json", "valid JSON", text, shown=shown) from None


def model_from_json(text: object) -> DedupeModel:
    """The model :func:`model_to_json` wrote."""
    return model_from_dict(parse_json(text))


def load_model(path: object) -> DedupeModel:
    """The model :func:`save_model` wrote to ``path``."""
    file = _path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidFieldError(
            "path", "a readable model file", str(file), shown=str(err)
        ) from None
    return model_from_dict(parse_json(text, f" of {file}"))


# --- checks ------------------------------------------------------------------------------


def _keys(problems: Problems, path: str, data: Mapping[Any, Any], keys: tuple[str, ...]) -> None:
    """Note each key of ``data`` not among ``keys``, and each of ``keys`` missing."""
    for key in data:
        if key not in keys:
            problems.unknown(path, key, keys)
    for key in keys:
        if key not in data:
            problems.missing(f"{path}{key}")


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_list(value: object) -> list[Any] | None:
    """``value`` as a list when it is a JSON array (a list or tuple), else ``None``."""
    return list(value) if isinstance(value, list | tuple) else None


def _name(
    problems: Problems, field: str, value: object, seen: set[str] | None = None
) -> str | None:
    """``value`` as a name: text, not empty, and not among ``seen``."""
    if not isinstance(value, str):
        problems.must(field, "a name (text)", value, wrong_type=True)
        return None
    if not value.strip():
        problems.must(field, "a name that is not empty", value)
        return None
    if seen is not None:
        if value in seen:
            problems.must(field, "a name no other comparison has", value)
            return None
        seen.add(value)
    return value


def _columns(problems: Problems, field: str, value: object) -> tuple[str, ...] | None:
    """``value`` as prepared column names dedupe knows."""
    given = _as_list(value)
    if given is None or not all(isinstance(c, str) for c in given):
        problems.must(field, "a list of prepared column names", value, wrong_type=True)
        return None
    columns = tuple(given)
    unknown = [c for c in columns if c not in KNOWN_COLUMNS]
    if unknown:
        known = ", ".join(sorted(KNOWN_COLUMNS))
        problems.must(field, f"prepared columns dedupe knows ({known})", unknown)
        return None
    if not columns:
        problems.must(field, "at least one column", [])
        return None
    return columns


def _entries(problems: Problems, field: str, value: object, what: str) -> list[Any] | None:
    entries = _as_list(value)
    if entries is None:
        problems.must(field, f"a list of {what}", value, wrong_type=True)
    return entries


def _comparisons(problems: Problems, value: object) -> tuple[list[Comparison], set[str] | None]:
    """The comparisons that are right, and the names of all given (``None`` when there
    is no list to read them from)."""
    entries = _entries(problems, "comparisons", value, "comparisons")
    if entries is None:
        return [], None
    found: list[Comparison] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        path = f"comparisons[{i}]"
        if not isinstance(entry, Mapping):
            problems.must(path, "a comparison (name, kind, columns)", entry, wrong_type=True)
            continue
        _keys(problems, f"{path}.", entry, COMPARISON_KEYS)
        name = _name(problems, f"{path}.name", entry["name"], seen) if "name" in entry else None
        kind = _kind(problems, f"{path}.kind", entry["kind"]) if "kind" in entry else None
        columns = (
            _columns(problems, f"{path}.columns", entry["columns"]) if "columns" in entry else None
        )
        if kind is not None and columns is not None and len(columns) != COLUMN_COUNTS[kind]:
            count = COLUMN_COUNTS[kind]
            problems.must(
                f"{path}.columns", f"{count} column(s) for a {kind.value} comparison", list(columns)
            )
            columns = None
        if name is not None and kind is not None and columns is not None:
            found.append(Comparison(name, kind, columns))
    return found, seen


def _kind(problems: Problems, field: str, value: object) -> Kind | None:
    if isinstance(value, Kind):
        return value
    choices = ", ".join(repr(kind.value) for kind in Kind)
    if not isinstance(value, str):
        problems.must(field, f"one of {choices}", value, wrong_type=True)
        return None
    try:
        return Kind(value)
    except ValueError:
        problems.must(field, f"one of {choices}", value)
        return None


def _rules(problems: Problems, value: object) -> tuple[BlockingRule, ...] | None:
    entries = _entries(problems, "blocking", value, "blocking rules")
    if entries is None:
        return None
    rules = []
    for i, entry in enumerate(entries):
        path = f"blocking[{i}]"
        if not isinstance(entry, Mapping):
            problems.must(path, "a blocking rule (name, columns)", entry, wrong_type=True)
            continue
        _keys(problems, f"{path}.", entry, RULE_KEYS)
        name = _name(problems, f"{path}.name", entry["name"]) if "name" in entry else None
        columns = (
            _columns(problems, f"{path}.columns", entry["columns"]) if "columns" in entry else None
        )
        if name is not None and columns is not None:
            rules.append(BlockingRule(name, columns))
    return tuple(rules)


def _table(
    problems: Problems,
    table: str,
    value: object,
    comparisons: list[Comparison],
    names: set[str] | None,
) -> dict[str, tuple[float, ...]]:
    """``m`` or ``u``: one list of probabilities per comparison, each checked by the
    model's constructor with the comparison's kind."""
    if not isinstance(value, Mapping):
        problems.must(
            table, "a mapping of comparison names to probabilities", value, wrong_type=True
        )
        return {}
    if names is not None:
        for key in value:
            if key not in names:
                problems.unknown(f"{table}.", key, names)
    checked: dict[str, tuple[float, ...]] = {}
    for key, probabilities in value.items():
        if names is not None and key not in names:
            continue
        given = _as_list(probabilities)
        if given is None or not all(_is_number(p) for p in given):
            problems.must(
                f"{table}.{key}", "a list of probabilities", probabilities, wrong_type=True
            )
            continue
        checked[key] = tuple(float(p) for p in given)
    for comparison in comparisons:
        if comparison.name not in value:
            problems.missing(f"{table}.{comparison.name}")
        elif comparison.name in checked:
            problems.check(functools.partial(_one, comparison, table, checked[comparison.name]))
    return checked


def _one(comparison: Comparison, table: str, values: tuple[float, ...]) -> DedupeModel:
    """A model of ``comparison`` alone with ``values`` as its ``table`` (``m`` or ``u``)
    and the kind's defaults as the other: its constructor checks ``values``."""
    m = {comparison.name: values if table == "m" else DEFAULT_M[comparison.kind]}
    u = {comparison.name: values if table == "u" else DEFAULT_U[comparison.kind]}
    return DedupeModel((comparison,), m, u)


def _match_rate(problems: Problems, value: object) -> float | None:
    if not _is_number(value):
        problems.must("match_rate", "a number", value, wrong_type=True)
        return None
    rate = float(value)  # type: ignore[arg-type]
    built = problems.check(functools.partial(DedupeModel, (), {}, {}, match_rate=rate))
    return None if built is None else rate


def _block_size(problems: Problems, value: object) -> int | None:
    if not _is_integer(value):
        problems.must("max_block_size", "a whole number", value, wrong_type=True)
        return None
    size = int(value)  # type: ignore[call-overload]
    built = problems.check(functools.partial(DedupeModel, (), {}, {}, max_block_size=size))
    return None if built is None else size


def _training(problems: Problems, value: object) -> TrainingReport | None:
    """The training report, or ``None`` for an untrained model (or after noting why not)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.must("training", "null or a training report", value, wrong_type=True)
        return None
    _keys(problems, "training.", value, TRAINING_KEYS)
    counts = {}
    for key in TRAINING_KEYS[:3]:
        if key not in value:
            continue
        count = value[key]
        if not _is_integer(count):
            problems.must(f"training.{key}", "a whole number", count, wrong_type=True)
        elif count < 0:
            problems.must(f"training.{key}", "a whole number of at least 0", count)
        else:
            counts[key] = int(count)
    rate = None
    if "match_rate" in value:
        given = value["match_rate"]
        if not _is_number(given):
            problems.must("training.match_rate", "a number", given, wrong_type=True)
        elif not 0 < float(given) < math.inf:
            problems.must("training.match_rate", "a number above 0", given)
        else:
            rate = float(given)
    if len(counts) < 3 or rate is None:
        return None
    return TrainingReport(
        counts["random_pairs"], counts["candidate_pairs"], counts["patterns"], rate
    )
