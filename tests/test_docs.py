"""The reference pages keep up with the public API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import lifecycle
import matching

DOCS = Path(__file__).resolve().parent.parent / "docs"


class TestReference:
    """docs/reference/<package>.md names every public name of its package."""

    @pytest.mark.parametrize("module", [lifecycle, matching], ids=lambda m: m.__name__)
    def test_every_public_name_documented(self, module):
        """A name added to __all__ without a line in the reference fails here."""
        page = (DOCS / "reference" / f"{module.__name__}.md").read_text()
        documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", page))
        assert sorted(set(module.__all__) - documented) == []
