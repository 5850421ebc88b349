"""The architecture page stays true: its module map is the code's, and its layers are the
ones import-linter enforces."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    found = re.search(rf"<!-- {name} -->(.*?)<!-- /{name} -->", PAGE, re.S)
    assert found, f"docs/architecture.md has no <!-- {name} --> section"
    return found.group(1)


def _paths(section: str) -> list[str]:
    return re.findall(r"^\| `([\w/.]+)` \|", _section(section), re.M)


def _modules() -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for package in ("lifecycle", "matching")
        for path in (ROOT / package).rglob("*.py")
        if "versions" not in path.parts
    }


def test_every_module_is_on_the_map() -> None:
    assert sorted(_modules() - set(_paths("modules"))) == []


def test_every_module_on_the_map_exists() -> None:
    mapped = _paths("modules")
    assert len(mapped) == len(set(mapped))
    assert sorted(set(mapped) - _modules()) == []


def test_what_is_planned_does_not_exist_yet() -> None:
    """A planned module that gets built moves to the map (no empty modules ahead of time)."""
    planned = _paths("planned")
    assert planned
    assert [p for p in planned if (ROOT / p).exists()] == []


def test_the_layers_are_the_ones_import_linter_enforces() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert re.findall(r"^- `([\w.]+)`$", _section("layers"), re.M) == layers
