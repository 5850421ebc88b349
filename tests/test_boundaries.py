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
