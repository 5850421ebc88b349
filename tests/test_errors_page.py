"""docs/reference/errors.md lists every error of lifecycle and matching, with its bases.

The errors are found in the code, not in a list kept beside it: every module of both
packages is imported and every subclass of ``LeadflowError`` defined in them is collected.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from lifecycle.errors import LeadflowError, Problem

PACKAGES = ("lifecycle", "matching")
PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "errors.md"
ERROR_MODULES = {f"{package}.errors" for package in PACKAGES}
"""Each package keeps its errors in one module."""
_GENERIC = {BaseException, Exception, object}
"""Builtins that say nothing about what went wrong."""


def _import_all() -> tuple[list[str], list[str]]:
    """Import every module of both packages: ``(imported, skipped)``. A module whose
    optional dependency is missing is skipped."""
    imported: list[str] = []
    skipped: list[str] = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        imported.append(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            try:
                importlib.import_module(info.name)
            except ModuleNotFoundError as err:
                if (err.name or "").partition(".")[0] in PACKAGES:
                    raise
                skipped.append(info.name)
            else:
                imported.append(info.name)
    return imported, skipped


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _ours(cls: type) -> bool:
    return cls.__module__.partition(".")[0] in PACKAGES


@pytest.fixture(scope="module")
def errors_in_code() -> dict[str, type]:
    """Every error class lifecycle and matching define, by name (the root included)."""
    _import_all()
    classes = {LeadflowError} | {cls for cls in _subclasses(LeadflowError) if _ours(cls)}
    names = [cls.__name__ for cls in classes]
    assert len(set(names)) == len(names), f"two errors share a name: {sorted(names)}"
    return {cls.__name__: cls for cls in classes}


def page_tables(text: str) -> dict[str, tuple[str, tuple[str, ...], str]]:
    """The errors the page's tables list: name -> (module of its section, bases, when)."""
    listed: dict[str, tuple[str, tuple[str, ...], str]] = {}
    module = None
    for line in text.splitlines():
        heading = re.fullmatch(r"## `([\w.]+)`", line.strip())
        if heading:
            module = heading[1]
            continue
        if line.startswith("## "):
            module = None
            continue
        row = re.fullmatch(r"\|\s*`(\w+)`\s*\|([^|]*)\|(.*)\|", line.strip())
        if row is None or module is None:
            continue
        name, bases, when = row[1], tuple(re.findall(r"`(\w+)`", row[2])), row[3].strip()
        assert name not in listed, f"{name} is listed twice"
        listed[name] = (module, bases, when)
    return listed


@pytest.fixture(scope="module")
def errors_on_page() -> dict[str, tuple[str, tuple[str, ...], str]]:
    """What docs/reference/errors.md lists."""
    return page_tables(PAGE.read_text(encoding="utf-8"))


class TestErrorsPage:
    """The errors page and the code name the same errors, with the same bases."""

    def test_error_modules_import(self) -> None:
        """Both errors modules import, whatever optional dependency is missing (a module
        that needs one is skipped; by the rule below it defines no error)."""
        imported, skipped = _import_all()
        assert set(imported) >= ERROR_MODULES
        assert ERROR_MODULES.isdisjoint(skipped)

    def test_same_errors(
        self,
        errors_in_code: dict[str, type],
        errors_on_page: dict[str, tuple[str, tuple[str, ...], str]],
    ) -> None:
        """An error added to the code without a row on the page (or a row left after its
        error was removed or renamed) fails here."""
        assert {
            "missing from the page": sorted(set(errors_in_code) - set(errors_on_page)),
            "not in the code": sorted(set(errors_on_page) - set(errors_in_code)),
        } == {"missing from the page": [], "not in the code": []}

    def test_same_bases(
        self,
        errors_in_code: dict[str, type],
        errors_on_page: dict[str, tuple[str, tuple[str, ...], str]],
    ) -> None:
        """Each row's bases are the class's own bases, in order."""
        code = {
            name: tuple(base.__name__ for base in cls.__bases__)
            for name, cls in errors_in_code.items()
        }
        page = {name: row[1] for name, row in errors_on_page.items() if name in code}
        assert page == {name: code[name] for name in page}

    def test_listed_under_its_module(
        self,
        errors_in_code: dict[str, type],
        errors_on_page: dict[str, tuple[str, tuple[str, ...], str]],
    ) -> None:
        """Each error is in its section's module, and every section is a package's one
        errors module."""
        where = {name: row[0] for name, row in errors_on_page.items() if name in errors_in_code}
        assert where == {name: errors_in_code[name].__module__ for name in where}
        assert {row[0] for row in errors_on_page.values()} <= ERROR_MODULES

    def test_says_when(self, errors_on_page: dict[str, tuple[str, tuple[str, ...], str]]) -> None:
        """Each row says when its error is raised."""
        assert [name for name, row in errors_on_page.items() if not row[2]] == []


class TestErrorClasses:
    """The rules every error follows, checked on the classes themselves."""

    def test_one_errors_module_per_package(self, errors_in_code: dict[str, type]) -> None:
        """Every error is defined in lifecycle.errors or matching.errors."""
        elsewhere = {
            name: cls.__module__
            for name, cls in errors_in_code.items()
            if cls.__module__ not in ERROR_MODULES
        }
        assert elsewhere == {}

    def test_every_error_has_a_builtin_meaning(self, errors_in_code: dict[str, type]) -> None:
        """Every error below the root is also a builtin error more specific than
        ``Exception`` (``ValueError``, ``KeyError``, ``RuntimeError``, ...)."""
        meaningless = sorted(
            name
            for name, cls in errors_in_code.items()
            if cls is not LeadflowError
            and not any(
                base.__module__ == "builtins" and base not in _GENERIC for base in cls.__mro__
            )
        )
        assert meaningless == []

    def test_submission_rejected_survives_pickling(self) -> None:
        """A refused submission pickles with its problems (as every error with arguments does)."""
        import pickle

        from matching.errors import SubmissionRejected

        error = SubmissionRejected((Problem("emailaddress1", "a usable email address", "x@"),))
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy), copy.problems) == (type(error), str(error), error.problems)

    def test_old_homes_offer_the_same_classes(self) -> None:
        """The modules the errors moved out of still offer them, as the same objects."""
        import matching.errors as errors

        old_homes = {
            "matching.store.errors": [
                "ConflictError",
                "RecordNotFound",
                "SchemaVersionError",
                "StoreBusy",
                "StoreConfigError",
                "StoreError",
                "StoreUnavailable",
                "TombstonedError",
            ],
            "matching.store": ["ConflictError", "RecordNotFound", "StoreError", "StoreBusy"],
            "matching.store.bulk": ["ImportFileError"],
            "matching.strategies": ["StrategyError"],
            "matching.normalize": ["NormalisationError"],
            "matching.submissions": ["FieldProblem", "SubmissionRejected"],
        }
        moved = {
            f"{module}.{name}": getattr(importlib.import_module(module), name, None)
            for module, names in old_homes.items()
            for name in names
        }
        expected = {path: getattr(errors, path.rpartition(".")[2]) for path in moved}
        assert moved == expected


class TestProblem:
    """The one value every collected problem is, and its one message shape."""

    def test_message(self) -> None:
        """``'<path>' must be <expected> (got <value>).``: the value's repr, or ``shown``."""
        problem = Problem("fuzzy[1].threshold", "a number in [0, 1]", 2)
        assert problem.message == "'fuzzy[1].threshold' must be a number in [0, 1] (got 2)."
        assert problem.reason == "must be a number in [0, 1] (got 2)."
        shown = Problem("target", "given", None, shown="nothing")
        assert shown.message == "'target' must be given (got nothing)."

    def test_every_collector_holds_problems(self) -> None:
        """InvalidFieldError, Problems, StrategyError, SubmissionRejected and
        InvalidDefinition hold Problems, and their message is the problems' messages."""
        from lifecycle.errors import FieldTypeError, InvalidDefinition, InvalidFieldError, Problems
        from matching.errors import StrategyError, SubmissionRejected

        first = Problem("a", "a str", 1, shown="1 that is a int")
        second = Problem("b", "given", None, shown="nothing")
        problems = Problems()
        problems.must("a", "a str", 1, wrong_type=True)
        problems.missing("b")
        assert problems.items == [first, second]
        with pytest.raises(FieldTypeError) as raised:
            problems.raise_if_any()
        errors: list[InvalidFieldError | StrategyError | SubmissionRejected | InvalidDefinition] = [
            raised.value,
            InvalidFieldError("a", "a str", 1, [second], shown="1 that is a int"),
            StrategyError("s", [first, second]),
            SubmissionRejected([first, second]),
            InvalidDefinition("toy", [first, second]),
        ]
        for error in errors:
            assert error.problems == (first, second), type(error).__name__
            assert str(error) == f"{first.message} {second.message}", type(error).__name__

    def test_field_problem_is_problem(self) -> None:
        """``FieldProblem`` (what ``SubmissionRejected`` held) is ``Problem`` under its old
        name, and reads as it did: ``field`` and ``reason``."""
        from matching.errors import FieldProblem

        assert FieldProblem is Problem
        problem = Problem("consent_level", "a whole number 0-5", 9)
        assert (problem.field, problem.reason) == (
            "consent_level",
            "must be a whole number 0-5 (got 9).",
        )

    def test_an_unhashable_value_still_hashes_and_pickles(self) -> None:
        """``got`` may be a list or a dict: the problem still hashes (``got`` is left out
        of the hash) and pickles."""
        import pickle

        problem = Problem("fields", "fields of a lead", ["email"])
        assert hash(problem) == hash(Problem("fields", "fields of a lead", ["email"]))
        assert pickle.loads(pickle.dumps(problem)) == problem


class TestPageParser:
    """The parser the tests above read the page with."""

    def test_reads_rows_under_module_headings_only(self) -> None:
        """Rows under a ``## `module` `` heading are read; other tables are not."""
        text = "\n".join(
            [
                "## `lifecycle.errors`",
                "| Error | Bases | Raised when |",
                "|---|---|---|",
                "| `A` | `LeadflowError`, `ValueError` | always |",
                "## Messages",
                "| `B` | `Exception` | never |",
            ]
        )
        assert page_tables(text) == {
            "A": ("lifecycle.errors", ("LeadflowError", "ValueError"), "always")
        }
