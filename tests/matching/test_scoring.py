"""Per-pair scoring: similarities, weighted scores with reasons, and the one scoring path
shared with recordlinkage's batch comparisons."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import jellyfish
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import LeadflowError
from lifecycle.errors import FieldTypeError
from matching.scoring import (
    FieldScore,
    MatchScore,
    Method,
    score_normalised,
    score_pair,
    similarity,
)
from matching.strategies import FuzzyRule, MatchStrategy, Target
from tests.strategies import case_id

STRING_METHODS = [m for m in Method if m.string_method is not None]

# --- similarity --------------------------------------------------------------------------

KNOWN = [
    # (method, a, b, expected): textbook values and the formulas recordlinkage uses
    (Method.EXACT, "dana@contoso.com", "dana@contoso.com", 1.0),
    (Method.EXACT, "dana@contoso.com", "dana@contoso.org", 0.0),
    (Method.PHONE, "+14255550100", "+14255550100", 1.0),
    (Method.PHONE, "+14255550100", "+14255550101", 0.0),
    (Method.JARO, "martha", "marhta", 0.9444444444444445),
    (Method.JARO_WINKLER, "martha", "marhta", 0.9611111111111111),
    (Method.JARO_WINKLER, "dwayne", "duane", 0.84),
    (Method.LEVENSHTEIN, "kitten", "sitting", 1 - 3 / 7),
    (Method.LEVENSHTEIN, "reyes", "reyez", 0.8),
    (Method.LEVENSHTEIN, "ca", "ac", 0.0),
    (Method.DAMERAU_LEVENSHTEIN, "ca", "ac", 0.5),
    (Method.DAMERAU_LEVENSHTEIN, "jonh", "john", 0.75),
    (Method.COMPANY, "contoso", "contoso", 1.0),
    (Method.TOKEN_SET, "dana reyes", "reyes dana", 1.0),
    (Method.TOKEN_SET, "reyes|dana", "dana reyes", 1.0),
    (Method.TOKEN_SET, "li wei", "wei li", 1.0),
]


class TestSimilarity:
    """``similarity`` on normalised values."""

    @pytest.mark.parametrize(("method", "a", "b", "expected"), KNOWN, ids=case_id)
    def test_known_values(self, method: Method, a: str, b: str, expected: float) -> None:
        """Each method gives the textbook value for a classic pair."""
        assert similarity(method, a, b) == pytest.approx(expected, abs=1e-12)

    @pytest.mark.parametrize("method", list(Method), ids=case_id)
    @pytest.mark.parametrize(
        ("a", "b"), [(None, "x"), ("x", None), (None, None), ("", "x"), ("", "")]
    )
    def test_missing_is_none(self, method: Method, a: str | None, b: str | None) -> None:
        """A missing side gives no similarity at all: not 0, not 1."""
        assert similarity(method, a, b) is None

    def test_token_set_without_tokens_is_missing(self) -> None:
        """A name with no token (only separators) is missing for TOKEN_SET."""
        assert similarity(Method.TOKEN_SET, " | ", "dana") is None

    def test_token_set_pairs_each_token_with_its_best_match(self) -> None:
        """TOKEN_SET averages each token's best Jaro-Winkler partner, both directions averaged."""
        jw = similarity(Method.JARO_WINKLER, "john", "jane")
        assert jw is not None
        assert similarity(Method.TOKEN_SET, "john smith", "smith jane") == pytest.approx(
            (jw + 1) / 2
        )

    @pytest.mark.parametrize(
        ("method", "a", "b", "field"),
        [
            ("jaro_winkler", "a", "b", "method"),
            (Method.JARO, 1, "b", "a"),
            (Method.JARO, "a", b"b", "b"),
        ],
        ids=case_id,
    )
    def test_bad_arguments_raise_typed_errors(
        self, method: Any, a: Any, b: Any, field: str
    ) -> None:
        """A method that is not a Method, or a value that is not a str, is a typed error naming it."""
        with pytest.raises(FieldTypeError, match=repr(field)) as raised:
            similarity(method, a, b)
        assert isinstance(raised.value, LeadflowError)

    @given(st.sampled_from(list(Method)), st.text(max_size=15), st.text(max_size=15))
    def test_bounded_and_symmetric(self, method: Method, a: str, b: str) -> None:
        """Every similarity lies in [0, 1] and does not depend on the order of the pair."""
        value = similarity(method, a, b)
        assert value == similarity(method, b, a)
        assert value is None or 0.0 <= value <= 1.0

    @given(st.sampled_from(list(Method)), st.text(alphabet="abcdé |-", min_size=1, max_size=15))
    def test_identity(self, method: Method, a: str) -> None:
        """A value is fully similar to itself (when it has anything to compare)."""
        assert similarity(method, a, a) in (1.0, None)


# --- the one scoring path -------------------------------------------------------------------

PAIRS = [
    ("José", "Jose"),
    ("Katherine", "Catherine"),
    ("MARTHA", "Marhta"),
    ("Dwayne", "Duane"),
    ("Dixon", "Dicksonx"),
    ("Reyes", "Reyez"),
    ("O'Brien", "OBrien"),
    ("Müller", "Mueller"),
    ("Smith", "Smyth"),
    ("Zoë", "Zoe"),
    ("Nguyen", "Ngyuen"),
    ("Li", "Lee"),
    ("Anne-Marie", "Anne Marie"),
    ("  van der  Berg ", "Vandenberg"),
    ("Jonathan", "Jon"),
    ("Ørsted", "Orsted"),
    (None, "Reyes"),
    ("", "Reyes"),
    ("!!!", "Reyes"),
]
COMPANIES = [
    ("Contoso Ltd", "Contoso Limited"),
    ("Fabrikam, Inc.", "Fabrikam"),
    ("Northwind Traders", "Northwind Trading"),
    ("Adventure Works Cycles", "Adventure-Works"),
    ("Wide World Importers", "Wingtip Toys"),
    ("Société Générale S.A.", "Societe Generale"),
    (None, "Contoso"),
]


def _strategy(method: Method, field: str) -> MatchStrategy:
    return MatchStrategy(
        "one-rule",
        Target.LEAD,
        fuzzy=(FuzzyRule(field, method),),
        min_score=0.5,
        blocking=("emailaddress1",),
    )


def _recordlinkage(method: Method, left: list[str | None], right: list[str | None]) -> list[float]:
    import numpy as np
    import pandas as pd
    import recordlinkage

    pairs = pd.MultiIndex.from_arrays([range(len(left)), range(len(right))])
    compare = recordlinkage.Compare()
    compare.string("v", "v", method=method.string_method, missing_value=np.nan, label="s")
    features = compare.compute(pairs, pd.DataFrame({"v": left}), pd.DataFrame({"v": right}))
    return [float(x) for x in features["s"]]


def _same(ours: float | None, theirs: float) -> bool:
    if ours is None:
        return math.isnan(theirs)
    return abs(ours - theirs) <= 1e-12


class TestOneScoringPath:
    """score_pair's similarities equal recordlinkage's ``Compare.string`` on the same pairs."""

    @pytest.mark.parametrize("method", STRING_METHODS, ids=case_id)
    def test_names_with_typos_accents_and_missing_values(self, method: Method) -> None:
        """Last names (typos, transpositions, accents, missing) score as recordlinkage scores them."""
        field = "companyname" if method is Method.COMPANY else "lastname"
        strategy = _strategy(method, field)
        raw = COMPANIES if method is Method.COMPANY else PAIRS
        left = [strategy.normalised({field: a})[field] for a, _ in raw]
        right = [strategy.normalised({field: b})[field] for _, b in raw]
        theirs = _recordlinkage(method, left, right)
        for (a, b), expected in zip(raw, theirs, strict=True):
            ours = score_pair(strategy, {field: a}, {field: b}).similarities[field]
            assert _same(ours, expected), (a, b, ours, expected)

    @given(
        st.sampled_from(STRING_METHODS),
        st.lists(
            st.tuples(
                st.text(alphabet="aeinorstuyéüøß -'", min_size=1, max_size=12),
                st.text(alphabet="aeinorstuyéüøß -'", min_size=1, max_size=12),
            ),
            min_size=1,
            max_size=12,
        ),
    )
    def test_random_strings(self, method: Method, pairs: list[tuple[str, str]]) -> None:
        """On any strings, ``similarity`` equals recordlinkage's vectorised result to 1e-12."""
        theirs = _recordlinkage(method, [a for a, _ in pairs], [b for _, b in pairs])
        for (a, b), expected in zip(pairs, theirs, strict=True):
            assert _same(similarity(method, a, b), expected), (a, b)

    @pytest.mark.parametrize(
        ("method", "field", "raw"),
        [
            (
                Method.EXACT,
                "emailaddress1",
                [("A@x.com", "a@x.com"), ("a@x.com", "b@x.com"), (None, "a@x.com")],
            ),
            (
                Method.PHONE,
                "telephone1",
                [
                    ("425-555-0100", "+1 425 555 0100"),
                    ("425-555-0100", "425-555-0101"),
                    ("12", "12"),
                ],
            ),
        ],
        ids=case_id,
    )
    def test_exact_and_phone_equal_compare_exact(
        self, method: Method, field: str, raw: list[tuple[str | None, str | None]]
    ) -> None:
        """EXACT and PHONE on normalised values equal recordlinkage's ``Compare.exact``."""
        import numpy as np
        import pandas as pd
        import recordlinkage

        strategy = _strategy(method, field)
        left = [strategy.normalised({field: a})[field] for a, _ in raw]
        right = [strategy.normalised({field: b})[field] for _, b in raw]
        compare = recordlinkage.Compare()
        compare.exact("v", "v", missing_value=np.nan, label="s")
        pairs = pd.MultiIndex.from_arrays([range(len(raw)), range(len(raw))])
        theirs = compare.compute(pairs, pd.DataFrame({"v": left}), pd.DataFrame({"v": right}))
        for (a, b), expected in zip(raw, theirs["s"], strict=True):
            ours = score_pair(strategy, {field: a}, {field: b}).similarities[field]
            assert _same(ours, float(expected)), (a, b, ours, expected)

    def test_handler_path_does_not_load_pandas(self) -> None:
        """Importing scoring and strategies (the per-submission path) loads no pandas or recordlinkage."""
        code = (
            "import json, sys\n"
            "import matching.scoring, matching.strategies\n"
            "heavy = {'pandas', 'recordlinkage', 'numpy', 'sklearn'}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []


# --- weighted scores -------------------------------------------------------------------------

WEIGHTED = MatchStrategy(
    "weighted",
    Target.LEAD,
    fields=("msdyncrm_marketingformid",),
    fuzzy=(
        FuzzyRule("lastname", Method.JARO_WINKLER, threshold=0.8, weight=2.0),
        FuzzyRule("telephone1", Method.PHONE, weight=1.0),
        FuzzyRule("companyname", Method.COMPANY, weight=1.0),
    ),
    min_score=0.7,
    blocking=("emailaddress1",),
)
FORM = {"msdyncrm_marketingformid": "form-1"}


class TestScorePair:
    """``score_pair``: exact gates, thresholds, the weighted score and its reasons."""

    def test_weighted_mean_of_the_rules(self) -> None:
        """The score is sum(weight * similarity) / sum(weight), over every rule."""
        a = {**FORM, "lastname": "Reyes", "telephone1": "425-555-0100", "companyname": "Contoso"}
        b = {**FORM, "lastname": "Reyez", "telephone1": "+1 425 555 0100", "companyname": "Contoso"}
        result = score_pair(WEIGHTED, a, b)
        assert result.score == pytest.approx((2 * 0.92 + 1 + 1) / 4)
        assert result.matched
        assert bool(result)
        assert dict(result.similarities) == pytest.approx(
            {
                "msdyncrm_marketingformid": 1.0,
                "lastname": 0.92,
                "telephone1": 1.0,
                "companyname": 1.0,
            }
        )

    def test_missing_counts_as_zero(self) -> None:
        """A rule missing on either side adds 0 to the score (its weight still counts)."""
        a = {**FORM, "lastname": "Reyes", "companyname": "Contoso"}
        b = {**FORM, "lastname": "Reyes", "telephone1": "+1 425 555 0100", "companyname": "Contoso"}
        result = score_pair(WEIGHTED, a, b)
        assert result.similarities["telephone1"] is None
        assert result.score == pytest.approx(3 / 4)
        assert "telephone1: missing on one side, counts as 0" in result.reasons

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"msdyncrm_marketingformid": "form-2"}, "msdyncrm_marketingformid: different"),
            (
                {"msdyncrm_marketingformid": None},
                "msdyncrm_marketingformid: missing on one side, so it cannot match",
            ),
            ({"lastname": "Jones"}, "lastname: jaro_winkler 0.600 < threshold 0.800"),
            ({"lastname": None}, "lastname: missing on one side, fails its threshold"),
            ({"telephone1": None, "companyname": None}, "score 0.500 < min_score 0.700"),
        ],
        ids=case_id,
    )
    def test_what_stops_a_match(self, change: dict[str, Any], reason: str) -> None:
        """An exact field that differs or is missing, a rule under its threshold, or a low score
        each stops the match, and the reasons say which."""
        a = {**FORM, "lastname": "Reyes", "telephone1": "425-555-0100", "companyname": "Contoso"}
        result = score_pair(WEIGHTED, a, {**a, **change})
        assert not result.matched
        assert reason in result.reasons
        assert reason in result.explain()

    def test_field_scores_explain_each_comparison(self) -> None:
        """Each FieldScore carries the normalised values, similarity, threshold and verdict."""
        a = {**FORM, "lastname": "Reyes", "telephone1": "425-555-0100"}
        b = {**FORM, "lastname": "REYES", "telephone1": "(425) 555-0100"}
        fields = {f.field: f for f in score_pair(WEIGHTED, a, b).fields}
        assert fields["msdyncrm_marketingformid"].required
        assert fields["lastname"] == FieldScore(
            "lastname", Method.JARO_WINKLER, "reyes", "reyes", 1.0, 0.8, True, 2.0
        )
        assert fields["telephone1"].a == fields["telephone1"].b == "+14255550100"
        assert not fields["telephone1"].required
        assert not fields["companyname"].passed

    def test_exact_only_strategy_scores_one_or_zero(self) -> None:
        """Without fuzzy rules the score is 1.0 when every exact field agrees, else 0.0."""
        strategy = MatchStrategy("email", Target.CONTACT, fields=("emailaddress1",))
        same = score_pair(strategy, {"emailaddress1": "A@x.com"}, {"emailaddress1": "a@x.com"})
        other = score_pair(strategy, {"emailaddress1": "A@x.com"}, {"emailaddress1": "b@x.com"})
        assert (same.matched, same.score, other.matched, other.score) == (True, 1.0, False, 0.0)

    def test_score_normalised_is_score_pair_on_normalised_values(self) -> None:
        """Batch dedupe can normalise once and call score_normalised: same MatchScore."""
        a = {**FORM, "lastname": "Réyes", "companyname": "Contoso Ltd"}
        b = {**FORM, "lastname": "Reyes", "companyname": "contoso"}
        assert score_normalised(
            WEIGHTED, WEIGHTED.normalised(a), WEIGHTED.normalised(b)
        ) == score_pair(WEIGHTED, a, b)

    def test_match_score_is_frozen(self) -> None:
        """A MatchScore is a frozen value."""
        result = score_pair(WEIGHTED, FORM, FORM)
        assert isinstance(result, MatchScore)
        with pytest.raises(AttributeError):
            result.matched = True  # type: ignore[misc]


RECORD_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "msdyncrm_marketingformid": st.sampled_from(["form-1", "FORM-1", "form-2", "", None]),
        "lastname": st.one_of(st.none(), st.text(max_size=10)),
        "telephone1": st.sampled_from(["425-555-0100", "+1 425 555 0100", "555-0199", "x", None]),
        "companyname": st.one_of(
            st.none(),
            st.sampled_from(["Contoso", "Contoso Ltd", "Fabrikam Inc"]),
            st.text(max_size=8),
        ),
    },
)


def _token_set_reference(a: str, b: str) -> float | None:
    """TOKEN_SET as first written: each direction's best pairs computed on their own."""
    ta, tb = sorted(a.replace("|", " ").split()), sorted(b.replace("|", " ").split())
    if not ta or not tb:
        return None

    def best(tokens: list[str], others: list[str]) -> float:
        found = [max(jellyfish.jaro_winkler_similarity(t, o) for o in others) for t in tokens]
        return math.fsum(found) / len(found)

    return (best(ta, tb) + best(tb, ta)) / 2


class TestScoreProperties:
    """Properties of score_pair over arbitrary records."""

    @given(st.text(alphabet="abcdé |", max_size=20), st.text(alphabet="abcdé |", max_size=20))
    def test_token_set_is_the_mean_of_both_directions_best_pairs(self, a: str, b: str) -> None:
        """The one-matrix TOKEN_SET gives exactly the value of the two-direction definition."""
        assert similarity(Method.TOKEN_SET, a or None, b or None) == (
            _token_set_reference(a, b) if a and b else None
        )

    @given(RECORD_VALUES, RECORD_VALUES)
    def test_symmetric_and_bounded(self, a: dict[str, Any], b: dict[str, Any]) -> None:
        """Scoring (a, b) and (b, a) gives the same score and verdict, within [0, 1]."""
        one, other = score_pair(WEIGHTED, a, b), score_pair(WEIGHTED, b, a)
        assert one.score == other.score
        assert one.matched == other.matched
        assert 0.0 <= one.score <= 1.0

    @given(RECORD_VALUES)
    def test_a_record_matches_itself_when_enough_is_present(self, a: dict[str, Any]) -> None:
        """A record matches itself exactly when every required value is present and the
        weight of its present values reaches min_score: missing is never agreement."""
        result = score_pair(WEIGHTED, a, a)
        present = [f for f in result.fields if f.similarity is not None]
        assert all(f.similarity == 1.0 for f in present)
        required = all(f.similarity is not None for f in result.fields if f.required)
        share = math.fsum(f.weight for f in present) / math.fsum(r.weight for r in WEIGHTED.fuzzy)
        assert result.score == pytest.approx(share)
        assert result.matched == (required and share >= WEIGHTED.min_score)
