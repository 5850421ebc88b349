"""The product's decisions ship with it: every D-number the code or the guide cites has a section
in docs/decisions.md, each section names its sources, and nothing points into a directory that
users of the package do not have."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DECISIONS = DOCS / "decisions.md"
README = ROOT / "README.md"

CITATION = re.compile(r"\bD(\d{1,2})\b")
"""How code, messages and pages cite a decision: ``D3``, ``(D7-D13)``, ``[D14](...)``."""

HEADING = re.compile(r"^## (?P<title>.*)$", re.MULTILINE)
ANCHOR = re.compile(r'<a id="d(?P<html>\d+)"></a>|\{#d(?P<attr>\d+)\}')
"""A section's anchor: raw HTML (what decisions.md uses) or attr_list's ``{#dN}``."""

SOURCES = re.compile(r"^\*\*Sources:\*\*\s*$", re.MULTILINE)
LINK_TO_DECISIONS = re.compile(r"\]\((?P<path>[^)#\s]*decisions\.md)(?:#(?P<anchor>[^)\s]*))?\)")


def _sections() -> dict[int, tuple[str, str]]:
    """Decision number -> (heading, body) for every anchored ``## `` section of decisions.md."""
    text = DECISIONS.read_text(encoding="utf-8") if DECISIONS.exists() else ""
    headings = list(HEADING.finditer(text))
    sections: dict[int, tuple[str, str]] = {}
    for here, after in zip(headings, [*headings[1:], None], strict=True):
        anchor = ANCHOR.search(here["title"])
        if anchor is None:
            continue
        body = text[here.end() : after.start() if after else len(text)]
        sections[int(anchor["html"] or anchor["attr"])] = (here["title"], body)
    return sections


def _package_sources() -> list[Path]:
    return sorted(
        path for package in ("lifecycle", "matching") for path in (ROOT / package).rglob("*.py")
    )


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _where(path: Path, text: str, index: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, index) + 1}"


def _citations() -> dict[int, list[str]]:
    """Decision number -> every place (``path:line``) the package or the guide cites it."""
    cited: dict[int, list[str]] = defaultdict(list)
    for path in [*_package_sources(), *_pages(), README]:
        text = path.read_text(encoding="utf-8")
        for match in CITATION.finditer(text):
            cited[int(match[1])].append(_where(path, text, match.start()))
    return dict(cited)


SECTIONS = _sections()
CITED = _citations()


class TestCitations:
    """Every D-number cited in lifecycle/, matching/, docs/ and the README resolves."""

    def test_decisions_page_exists(self) -> None:
        """docs/decisions.md is there and holds anchored sections."""
        assert DECISIONS.exists()
        assert SECTIONS

    @pytest.mark.parametrize("number", sorted(CITED), ids=lambda n: f"D{n}")
    def test_cited_decision_has_a_section(self, number: int) -> None:
        """A citation of Dn needs a section anchored ``dn`` in docs/decisions.md."""
        assert number in SECTIONS, (
            f"D{number} has no section in docs/decisions.md; cited at {', '.join(CITED[number])}"
        )

    @pytest.mark.parametrize(
        "page",
        [path for path in [*_pages(), README] if LINK_TO_DECISIONS.search(path.read_text("utf-8"))],
        ids=lambda path: str(path.relative_to(ROOT)),
    )
    def test_links_to_decisions_resolve(self, page: Path) -> None:
        """Each link to decisions.md reaches docs/decisions.md from its page, and its anchor
        (``#dn``) is a section there."""
        text = page.read_text(encoding="utf-8")
        broken = []
        for link in LINK_TO_DECISIONS.finditer(text):
            target = (page.parent / link["path"]).resolve() if link["path"] else page
            anchor = link["anchor"]
            known = anchor is None or (
                re.fullmatch(r"d\d+", anchor) is not None and int(anchor[1:]) in SECTIONS
            )
            if target != DECISIONS or not known:
                broken.append(f"{_where(page, text, link.start())}: {link[0][2:-1]}")
        assert broken == []


class TestSections:
    """docs/decisions.md: one section per decision, numbered in order, each with its sources."""

    def test_numbered_without_gaps(self) -> None:
        """Sections run D1, D2, ... with no number missing or repeated."""
        assert list(SECTIONS) == list(range(1, len(SECTIONS) + 1))

    @pytest.mark.parametrize("number", sorted(SECTIONS), ids=lambda n: f"D{n}")
    def test_heading_names_its_decision(self, number: int) -> None:
        """The heading anchored ``dn`` reads ``Dn — <title>``."""
        heading, _ = SECTIONS[number]
        assert re.search(rf"(?:^|</a>)D{number} — \S", heading), heading

    @pytest.mark.parametrize("number", sorted(SECTIONS), ids=lambda n: f"D{n}")
    def test_section_lists_a_source(self, number: int) -> None:
        """A section ends with ``**Sources:**`` and at least one list item; linked sources are
        public web addresses."""
        _, body = SECTIONS[number]
        marker = SOURCES.search(body)
        assert marker is not None, f"D{number} has no **Sources:** list"
        items = re.findall(r"^- (.+)$", body[marker.end() :], re.MULTILINE)
        assert items, f"D{number} lists no source"
        links = re.findall(r"\]\(([^)]+)\)", "\n".join(items))
        assert [link for link in links if not link.startswith(("https://", "http://"))] == []


class TestNoSharedPaths:
    """Nothing the package ships points into ``shared/``, which its users cannot open."""

    @pytest.mark.parametrize("root", ["lifecycle", "matching", "docs", "README.md"])
    def test_no_mention_of_shared(self, root: str) -> None:
        """No file under ``root`` mentions ``shared/``; the decisions page replaces it."""
        base = ROOT / root
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        mentions = []
        for path in files:
            if "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            mentions += [_where(path, text, m.start()) for m in re.finditer("shared/", text)]
        assert mentions == []


class TestMessages:
    """A message that rests on a decision says why in words, and names the decision."""

    def test_every_decision_has_its_reason_in_words(self) -> None:
        """lifecycle.decisions holds a few words for exactly the decisions the page defines."""
        from lifecycle.decisions import DECISIONS

        assert [int(key[1:]) for key in DECISIONS] == sorted(SECTIONS)
        assert all(reason and not reason.endswith(".") for reason in DECISIONS.values())

    def test_cite_says_the_reason(self) -> None:
        from lifecycle.decisions import cite
        from lifecycle.errors import InvalidFieldError

        assert cite("D14") == "(decision D14: a person deleted on request is not re-created)"
        with pytest.raises(InvalidFieldError, match="'decision' must be one of D1"):
            cite("D99")

    def test_a_tombstone_refusal_stands_alone(self) -> None:
        """The refusal a user meets says why, not only which decision."""
        from matching.store.errors import TombstonedError

        text = str(TombstonedError("dana@example.com", "lead", "lead-1"))
        assert text.endswith("(decision D14: a person deleted on request is not re-created)."), text

    def test_no_message_cites_a_bare_decision_id(self) -> None:
        """In lifecycle/ and matching/, a string that is not a docstring names a decision only
        through ``cite`` or as "decision Dn" / "decisions Dn and Dm" in a sentence that says
        the rule; never a bare "(D14)"."""
        import ast

        spelled = re.compile(r"\bdecisions? D\d{1,2}(?:(?:, | and )D\d{1,2})*")
        bare = []
        for path in _package_sources():
            if path.name == "decisions.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip: set[int] = set()
            for node in ast.walk(tree):
                body = getattr(node, "body", None)
                if isinstance(body, list):
                    for stmt in body:
                        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                            skip.add(id(stmt.value))
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "cite"
                ):
                    skip.update(id(arg) for arg in node.args)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skip
                    and CITATION.search(spelled.sub("", node.value))
                ):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
        assert bare == []
