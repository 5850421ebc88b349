"""Import boundaries: ``lifecycle`` loads neither ``matching`` nor the heavy optional dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ["matching", "pandas", "graphviz", "recordlinkage", "sqlalchemy", "alembic"]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


class TestLifecycleImport:
    """Importing lifecycle stays light (shared/style.md §3, import graph)."""

    def test_no_heavy_modules_loaded(self) -> None:
        """After `import lifecycle`, sys.modules holds no matching, pandas, graphviz or recordlinkage."""
        code = (
            "import json, sys, lifecycle\n"
            f"heavy = {HEAVY!r}\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
            "print(json.dumps(loaded))\n"
        )
        done = _run(code)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []

    @pytest.mark.parametrize("blocked", [HEAVY, ["graphviz"], ["pandas"]], ids=",".join)
    def test_imports_without_optional_dependencies(self, blocked: list[str]) -> None:
        """lifecycle imports and runs a lead through its lifecycle with those modules unavailable."""
        code = (
            "import sys\n"
            f"for name in {blocked!r}:\n"
            "    sys.modules[name] = None\n"
            "import lifecycle\n"
            "lead = lifecycle.Lead()\n"
            "lead.qualify(create_contact=True)\n"
            "print(lead.state.value)\n"
        )
        done = _run(code)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "qualified"


MATCHING_CORE = [
    "matching.normalize",
    "matching.keys",
    "matching.scoring",
    "matching.strategies",
    "matching.resolve",
    "matching.values",
    "matching.protocols",
    "matching.errors",
]
"""The linkage core: pure functions and values (resolution, and the values, store
protocols and errors it needs, among them), usable without a database."""
STORE_AND_CLI = ["sqlalchemy", "alembic", "rich", "click"]


class TestMatchingCoreImport:
    """The linkage core loads no storage, CLI or terminal code: ``matching/__init__`` is lazy."""

    def test_core_loads_no_store_or_cli(self) -> None:
        """After importing normalize, keys, scoring, strategies, resolve, values, protocols
        and errors in a fresh interpreter, sys.modules holds no sqlalchemy, alembic, rich or click."""
        code = (
            f"import json, sys, {', '.join(MATCHING_CORE)}\n"
            f"forbidden = {STORE_AND_CLI!r}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in forbidden)))\n"
        )
        done = _run(code)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []

    def test_values_load_no_store_package(self) -> None:
        """Importing the values resolution needs runs no ``matching.store`` code (the store
        builds on them), nor the handler or the submissions module."""
        code = (
            "import json, sys, matching.values\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('matching.'))))\n"
        )
        done = _run(code)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == ["matching.values"]

    def test_handler_loads_no_store(self) -> None:
        """The form handler reaches storage through the store protocols: importing it loads
        no ``matching.store`` module and no database, CLI or terminal package."""
        code = (
            "import json, sys, matching.handler\n"
            f"forbidden = {STORE_AND_CLI!r}\n"
            "print(json.dumps(sorted(m for m in sys.modules\n"
            "    if m.split('.')[0] in forbidden or m.startswith('matching.store'))))\n"
        )
        done = _run(code)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []

    def test_package_names_load_on_first_use(self) -> None:
        """`import matching` loads none of its submodules; reading a name loads only what
        that name needs."""
        code = (
            "import json, sys, matching\n"
            "before = sorted(m for m in sys.modules if m.startswith('matching.'))\n"
            "matching.MatchStrategy\n"
            f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {STORE_AND_CLI!r})\n"
            "print(json.dumps([before, heavy, 'matching.strategies' in sys.modules]))\n"
        )
        done = _run(code)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [[], [], True]
