"""Match strategies: presets on real scenarios, validation, dict/JSON round trips, keys."""

from __future__ import annotations

import json
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import Lead, LeadflowError, Problem
from matching.scoring import Method, matches_normalised, score_normalised
from matching.strategies import (
    CONTACT_BY_EMAIL,
    CONTACT_FUZZY,
    DEFAULT_NORMALIZERS,
    LEAD_BY_EMAIL,
    LEAD_BY_EMAIL_AND_PAGE,
    LEAD_FUZZY,
    NORMALIZERS,
    PRESETS,
    FuzzyRule,
    MatchStrategy,
    StrategyError,
    Target,
)
from tests.strategies import case_id

PAGE = "msdyncrm_marketingpageid"
PAGE_A = "5f0c6d2e-8f0b-4f6e-9c1a-1d2e3f4a5b6c"
PAGE_B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DANA: dict[str, Any] = {
    "firstname": "Dana",
    "lastname": "Reyes",
    "emailaddress1": "dana.reyes@contoso.com",
}


def case(a: dict[str, Any], b: dict[str, Any], matched: bool, id: str) -> Any:
    """One scenario: two records, whether they are the same person, and what makes it so."""
    return pytest.param(a, b, matched, id=id)


# --- presets on real scenarios ----------------------------------------------------------------

CONTACT_BY_EMAIL_CASES = [
    case(
        {"emailaddress1": "  Dana.Reyes@Contoso.COM "},
        {"emailaddress1": "dana.reyes@contoso.com"},
        True,
        "case and whitespace",
    ),
    case(
        {"emailaddress1": "anna@bücher.de"},
        {"emailaddress1": "anna@xn--bcher-kva.de"},
        True,
        "unicode and punycode domain",
    ),
    case(
        {**DANA, "firstname": "Danielle", "lastname": "Smith"},
        DANA,
        True,
        "only the email is compared",
    ),
    case(DANA, {**DANA, "emailaddress1": "dana.reyes@fabrikam.com"}, False, "another address"),
    case(
        {"emailaddress1": "dana.reyes@gmail.com"},
        {"emailaddress1": "danareyes@gmail.com"},
        False,
        "gmail dots are another address for Dynamics",
    ),
    case({**DANA, "emailaddress1": None}, DANA, False, "email missing on one side"),
    case({**DANA, "emailaddress1": " "}, {**DANA, "emailaddress1": ""}, False, "blank on both"),
    case({"emailaddress1": "not-an-email"}, {"emailaddress1": "not-an-email"}, False, "junk email"),
]

LEAD_BY_EMAIL_AND_PAGE_CASES = [
    case(
        {**DANA, PAGE: PAGE_A},
        {**DANA, "emailaddress1": "DANA.REYES@contoso.com", PAGE: f" {PAGE_A} "},
        True,
        "same address from the same page",
    ),
    case({**DANA, PAGE: PAGE_A}, {**DANA, PAGE: PAGE_B}, False, "same address, another page"),
    case(DANA, {**DANA, PAGE: None}, True, "embedded forms share 'no page id'"),
    case(DANA, {**DANA, PAGE: PAGE_A}, False, "embedded form against a landing page"),
    case(
        {"firstname": "Dana", PAGE: PAGE_A},
        {"firstname": "Dana", PAGE: PAGE_A},
        False,
        "email missing on both, same page",
    ),
    case({PAGE: None}, {}, False, "email missing on both, embedded forms"),
    case(
        {**DANA, "emailaddress1": None, PAGE: PAGE_A},
        {**DANA, PAGE: PAGE_A},
        False,
        "email missing on one side",
    ),
]

LEAD_BY_EMAIL_CASES = [
    case({**DANA, PAGE: PAGE_A}, {**DANA, PAGE: PAGE_B}, True, "same address from any page"),
    case(DANA, {**DANA, "emailaddress1": " dana.reyes@CONTOSO.com"}, True, "case and whitespace"),
    case(DANA, {**DANA, "emailaddress1": None}, False, "email missing on one side"),
    case({"lastname": "Reyes"}, {"lastname": "Reyes"}, False, "email missing on both"),
]

PHONE = "+1 (425) 555-0100"
JOHN = {"firstname": "John", "lastname": "Smith", "telephone1": "425-555-0100"}

FUZZY_CASES = [
    case(
        {
            "firstname": "José",
            "lastname": "García",
            "emailaddress1": " JOSE.GARCIA@contoso.com",
            "telephone1": "425 555 0100",
        },
        {
            "firstname": "jose ",
            "lastname": "Garcia",
            "emailaddress1": "jose.garcia@contoso.com",
            "telephone1": PHONE,
        },
        True,
        "case, whitespace, accents and phone format",
    ),
    case(
        {**DANA, "emailaddress1": "Dana.Reyes+news@gmail.com"},
        {**DANA, "emailaddress1": "danareyes@googlemail.com"},
        True,
        "gmail dots and plus tag",
    ),
    case(
        {**DANA, "firstname": "Reyes", "lastname": "Dana"},
        DANA,
        True,
        "first and last name transposed",
    ),
    case(
        {**DANA, "firstname": "Jon", "lastname": "Smith", "emailaddress1": "jsmith@contoso.com"},
        {**DANA, "firstname": "John", "lastname": "Smyth", "emailaddress1": "jsmith@contoso.com"},
        True,
        "typos in both names, same email",
    ),
    case(
        {**DANA, "firstname": "Mary Ann", "lastname": "Jones", "emailaddress1": "mj@contoso.com"},
        {**DANA, "firstname": "Mary", "lastname": "Jones", "emailaddress1": "mj@contoso.com"},
        True,
        "a middle name on one side",
    ),
    case(
        {**DANA, "emailaddress1": None},
        DANA,
        False,
        "email missing on one side",
    ),
    case(JOHN, {**JOHN, "telephone1": PHONE}, False, "same name and phone, no email on either"),
    case(
        {**JOHN, "emailaddress1": "info@contoso.com"},
        {"firstname": "Mary", "lastname": "Jones", "emailaddress1": "info@contoso.com"},
        False,
        "a shared mailbox",
    ),
    case(
        {**JOHN, "emailaddress1": "john@contoso.com"},
        {**JOHN, "firstname": "Joan", "emailaddress1": "joan@contoso.com", "telephone1": PHONE},
        False,
        "spouses sharing a home phone",
    ),
    case(
        {**JOHN, "emailaddress1": "smiths@contoso.com"},
        {**JOHN, "firstname": "Jane", "emailaddress1": "smiths@contoso.com"},
        False,
        "a couple sharing an address",
    ),
    case(
        {**JOHN, "emailaddress1": "john.smith@contoso.com"},
        {**JOHN, "emailaddress1": "john.smith@fabrikam.com"},
        False,
        "same name and phone, different emails",
    ),
]

CONTACT_FUZZY_CASES = [
    *FUZZY_CASES,
    case(
        {**JOHN, "mobilephone": "206-555-0111"},
        {**JOHN, "mobilephone": "+1 206 555 0111"},
        True,
        "no email, but the name and both phones",
    ),
]

LEAD_FUZZY_CASES = [
    *FUZZY_CASES,
    case(
        {**JOHN, "companyname": "Contoso Ltd"},
        {**JOHN, "companyname": "CONTOSO"},
        True,
        "no email, but the name, the phone and the company",
    ),
    case(
        {**JOHN, "telephone1": None, "companyname": "Contoso"},
        {**JOHN, "companyname": "Contoso"},
        False,
        "no email, the name and the company only",
    ),
    case(
        {**JOHN, "companyname": "Contoso"},
        {"firstname": "Mary", "lastname": "Jones", "telephone1": PHONE, "companyname": "Contoso"},
        False,
        "colleagues sharing the switchboard and company",
    ),
    case(
        {**JOHN, "firstname": "Smith", "lastname": "John", "companyname": "Contoso"},
        {**JOHN, "companyname": "Contoso Inc."},
        True,
        "transposed names, same phone and company",
    ),
]


class TestPresets:
    """Each preset on pairs of real-looking records."""

    @pytest.mark.parametrize(("a", "b", "matched"), CONTACT_BY_EMAIL_CASES)
    def test_contact_by_email(self, a: dict[str, Any], b: dict[str, Any], matched: bool) -> None:
        """Dynamics' default contact strategy: the same email."""
        assert CONTACT_BY_EMAIL.match(a, b).matched is matched

    @pytest.mark.parametrize(("a", "b", "matched"), LEAD_BY_EMAIL_AND_PAGE_CASES)
    def test_lead_by_email_and_page(
        self, a: dict[str, Any], b: dict[str, Any], matched: bool
    ) -> None:
        """Dynamics' outbound lead default: the same email from the same page ("no page" shared)."""
        assert LEAD_BY_EMAIL_AND_PAGE.match(a, b).matched is matched

    @pytest.mark.parametrize(("a", "b", "matched"), LEAD_BY_EMAIL_CASES)
    def test_lead_by_email(self, a: dict[str, Any], b: dict[str, Any], matched: bool) -> None:
        """The RTJ-like lead rule: the same email from any form."""
        assert LEAD_BY_EMAIL.match(a, b).matched is matched

    @pytest.mark.parametrize(("a", "b", "matched"), CONTACT_FUZZY_CASES)
    def test_contact_fuzzy(self, a: dict[str, Any], b: dict[str, Any], matched: bool) -> None:
        """The fuzzy contact preset: names alike in any order, plus email or both phones."""
        result = CONTACT_FUZZY.match(a, b)
        assert result.matched is matched, result.explain()
        assert CONTACT_FUZZY.match(b, a).score == result.score

    @pytest.mark.parametrize(("a", "b", "matched"), LEAD_FUZZY_CASES)
    def test_lead_fuzzy(self, a: dict[str, Any], b: dict[str, Any], matched: bool) -> None:
        """The fuzzy lead preset: names alike in any order, plus email, or phone and company."""
        result = LEAD_FUZZY.match(a, b)
        assert result.matched is matched, result.explain()
        assert LEAD_FUZZY.match(b, a).score == result.score

    def test_transposed_names_match_through_the_token_set_rule(self) -> None:
        """A transposed name passes the TOKEN_SET rule at 1.0 and says so."""
        result = CONTACT_FUZZY.match({**DANA, "firstname": "Reyes", "lastname": "Dana"}, DANA)
        assert result.similarities["fullname"] == 1.0
        assert "fullname: token_set 1.000 >= threshold 0.900" in result.reasons

    @pytest.mark.parametrize("strategy", [CONTACT_FUZZY, LEAD_FUZZY], ids=lambda s: s.name)
    def test_names_past_the_gate_with_the_same_email_always_match(
        self, strategy: MatchStrategy
    ) -> None:
        """With the same email, the name gate alone decides: every pair of these names
        matches exactly when its token_set similarity reaches the 0.9 threshold."""
        names = [
            ("John", "Smith"),
            ("Jon", "Smyth"),
            ("Joan", "Smith"),
            ("Jane", "Smith"),
            ("Smith", "John"),
            ("Steven", "Miller"),
            ("Stephen", "Miller"),
            ("Mohammed", "Ali"),
            ("Muhammad", "Ali"),
            ("Anna", "Lee"),
            ("Anne", "Lee"),
        ]
        email = {"emailaddress1": "shared@contoso.com"}
        for first_a, last_a in names:
            for first_b, last_b in names:
                a = {**email, "firstname": first_a, "lastname": last_a}
                b = {**email, "firstname": first_b, "lastname": last_b}
                result = strategy.match(a, b)
                name = result.similarities["fullname"]
                assert name is not None
                assert result.matched is (name >= 0.9), result.explain()

    def test_missing_email_is_never_agreement(self) -> None:
        """Two records without an email score as if their emails differed."""
        none = CONTACT_FUZZY.match(JOHN, JOHN)
        different = CONTACT_FUZZY.match(
            {**JOHN, "emailaddress1": "a@contoso.com"}, {**JOHN, "emailaddress1": "b@contoso.com"}
        )
        assert none.score == different.score
        assert none.similarities["emailaddress1"] is None

    def test_presets_by_name(self) -> None:
        """PRESETS holds every preset under its own name."""
        assert list(PRESETS) == [
            "contact-by-email",
            "lead-by-email-and-page",
            "lead-by-email",
            "contact-fuzzy",
            "lead-fuzzy",
        ]
        assert all(PRESETS[name].name == name for name in PRESETS)

    @pytest.mark.parametrize(
        ("strategy", "fuzzy", "target"),
        [
            (CONTACT_BY_EMAIL, False, Target.CONTACT),
            (LEAD_BY_EMAIL_AND_PAGE, False, Target.LEAD),
            (LEAD_BY_EMAIL, False, Target.LEAD),
            (CONTACT_FUZZY, True, Target.CONTACT),
            (LEAD_FUZZY, True, Target.LEAD),
        ],
        ids=lambda v: v.name if isinstance(v, MatchStrategy) else case_id(v),
    )
    def test_kind_and_target(self, strategy: MatchStrategy, fuzzy: bool, target: Target) -> None:
        """Dynamics' presets are exact; the fuzzy ones say so."""
        assert (strategy.is_fuzzy, strategy.target) == (fuzzy, target)

    def test_records_match_like_mappings(self) -> None:
        """A lifecycle record can be matched directly, as its field values."""
        lead = Lead(**DANA, msdyncrm_marketingpageid=PAGE_A, companyname="Contoso")
        submission = {**DANA, PAGE: PAGE_A.upper()}
        assert LEAD_BY_EMAIL_AND_PAGE.match(lead, submission).matched
        assert LEAD_FUZZY.normalised(lead) == LEAD_FUZZY.normalised(
            {**DANA, "companyname": "Contoso"}
        )


# --- keys --------------------------------------------------------------------------------------


class TestKeys:
    """normalised, exact_key and blocking_keys."""

    def test_normalised_uses_the_field_table(self) -> None:
        """Each compared field gets its normaliser; fullname joins first and last names."""
        values = {
            "firstname": " José",
            "lastname": "GARCÍA ",
            "emailaddress1": "Jose.Garcia+x@Gmail.com",
            "telephone1": "(425) 555-0100",
            "companyname": "Contoso Ltd",
        }
        assert LEAD_FUZZY.normalised(values) == {
            "fullname": NORMALIZERS["person_tokens"]("José GARCÍA"),
            "emailaddress1": "josegarcia@gmail.com",
            "telephone1": "+14255550100",
            "companyname": NORMALIZERS["company"]("Contoso Ltd"),
        }

    @pytest.mark.parametrize(
        ("values", "key"),
        [
            ({"firstname": "Dana", "lastname": "Reyes"}, "dana reyes"),
            ({"firstname": " Reyes", "lastname": "DANA "}, "dana reyes"),
            ({"firstname": "Mary Ann", "lastname": None}, None),
            ({"firstname": "", "lastname": "Reyes"}, None),
            ({"fullname": "Dana Reyes"}, "dana reyes"),
            ({"firstname": "Dana", "fullname": "Dana Reyes"}, None),
            ({}, None),
        ],
        ids=case_id,
    )
    def test_fullname_needs_both_names(self, values: dict[str, Any], key: str | None) -> None:
        """The full name is missing unless both parts are there (a whole ``fullname`` value
        counts when neither part is given), as the store's full-name key is."""
        assert CONTACT_FUZZY.normalised(values)["fullname"] == key

    @pytest.mark.parametrize(
        ("values", "key"),
        [
            ({**DANA, PAGE: PAGE_A}, f'["dana.reyes@contoso.com","{PAGE_A}"]'),
            (DANA, '["dana.reyes@contoso.com",null]'),
            ({PAGE: PAGE_A}, None),
        ],
        ids=["landing page", "embedded form", "no email"],
    )
    def test_exact_key(self, values: dict[str, Any], key: str | None) -> None:
        """The exact key joins the normalised exact fields; a shared missing page id is null."""
        assert LEAD_BY_EMAIL_AND_PAGE.exact_key(values) == key

    def test_exact_key_is_unambiguous(self) -> None:
        """Values containing separators cannot collide into one key."""
        strategy = MatchStrategy("two", Target.LEAD, fields=("emailaddress1", "subject"))
        one = strategy.exact_key({"emailaddress1": "a@b.co", "subject": 'x","y'})
        other = strategy.exact_key({"emailaddress1": "a@b.co", "subject": "x"})
        assert one != other
        assert one is not None

    def test_fuzzy_strategies_have_no_exact_key(self) -> None:
        """A strategy without exact fields has nothing to claim."""
        assert CONTACT_FUZZY.exact_key(DANA) is None

    def test_blocking_keys(self) -> None:
        """Blocking keys are the store's keys; the fuzzy presets look names up both ways round."""
        values = {**DANA, "telephone1": "425-555-0100", "mobilephone": "206-555-0111"}
        assert CONTACT_BY_EMAIL.blocking_keys(values) == [
            ("emailaddress1", "dana.reyes@contoso.com")
        ]
        assert CONTACT_FUZZY.blocking_keys(values) == [
            ("emailaddress1", "dana.reyes@contoso.com"),
            ("telephone1", "+14255550100"),
            ("fullname", "reyes|dana"),
            ("fullname", "dana|reyes"),
        ]
        assert CONTACT_FUZZY.blocking_keys({"firstname": "Dana"}) == []

    @pytest.mark.parametrize(
        ("kwargs", "blocking"),
        [
            ({"fields": ("emailaddress1", PAGE)}, ("emailaddress1",)),
            ({"fields": (PAGE, "mobilephone", "emailaddress1")}, ("emailaddress1",)),
            ({"fields": ("mobilephone", "telephone1")}, ("telephone1",)),
            ({"fields": ("firstname", "lastname")}, ("fullname",)),
            (
                {
                    "fuzzy": (
                        FuzzyRule("mobilephone", Method.PHONE),
                        FuzzyRule("fullname", Method.TOKEN_SET),
                    ),
                    "min_score": 0.5,
                },
                ("mobilephone", "fullname"),
            ),
            (
                {"fields": (PAGE,), "fuzzy": (FuzzyRule("emailaddress1", Method.EXACT, 1.0),)},
                ("emailaddress1",),
            ),
        ],
        ids=["email first", "email wherever it is", "first keyed field", "names", "rules", "rule"],
    )
    def test_default_blocking(self, kwargs: dict[str, Any], blocking: tuple[str, ...]) -> None:
        """Without blocking: the email if exact, else the first keyed exact field, else every
        keyed field the rules compare."""
        assert MatchStrategy("s", Target.LEAD, **kwargs).blocking == blocking

    def test_matchable_fields(self) -> None:
        """Strategies compare text fields of the target (form ids on leads), and fullname."""
        lead, contact = Target.LEAD.matchable_fields, Target.CONTACT.matchable_fields
        assert {"emailaddress1", "firstname", "fullname", PAGE, "msdyncrm_marketingformid"} <= lead
        assert "companyname" in lead
        assert "companyname" not in contact
        assert PAGE not in contact
        assert not {"id", "donotemail", "state", "consents", "_history", "createdon"} & lead
        assert Target.LEAD.record_type is Lead


# --- validation --------------------------------------------------------------------------------


def _fields_of(**kwargs: Any) -> tuple[str, ...]:
    with pytest.raises(StrategyError) as raised:
        MatchStrategy(**{"name": "s", "target": Target.LEAD, **kwargs})
    return raised.value.fields


INVALID = [
    ({"name": " ", "fields": ("emailaddress1",)}, ["name"]),
    ({"target": "account", "fields": ("emailaddress1",)}, ["target"]),
    ({}, ["fields"]),
    ({"fields": "emailaddress1"}, ["fields"]),
    ({"fields": ("emailaddress1", "emailaddress1")}, ["fields"]),
    ({"fields": ("email",)}, ["fields"]),
    ({"target": Target.CONTACT, "fields": ("companyname",)}, ["fields"]),
    ({"target": Target.CONTACT, "fields": (PAGE,)}, ["fields"]),
    ({"fields": ("donotemail",)}, ["fields"]),
    ({"fields": ("emailaddress1",), "min_score": 1.5}, ["min_score"]),
    ({"fields": ("emailaddress1",), "min_score": True}, ["min_score"]),
    ({"fields": ("emailaddress1",), "min_score": float("nan")}, ["min_score"]),
    ({"fields": ("emailaddress1",), "blocking": ("name",)}, ["blocking"]),
    ({"fields": ("emailaddress1",), "blocking": ("companyname",)}, ["blocking"]),
    ({"fields": (PAGE,)}, ["blocking"]),
    ({"fields": ("emailaddress1",), "shared_missing": ("telephone1",)}, ["shared_missing"]),
    (
        {"fields": (PAGE,), "shared_missing": (PAGE,), "blocking": ("emailaddress1",)},
        ["shared_missing"],
    ),
    (
        {
            "fuzzy": (FuzzyRule("firstname", Method.JARO),),
            "min_score": 0.0,
            "blocking": ("emailaddress1",),
        },
        ["min_score"],
    ),
    (
        {"fields": ("emailaddress1",), "fuzzy": (FuzzyRule("emailaddress1", Method.EXACT),)},
        ["fuzzy[0].field"],
    ),
    (
        {"fuzzy": (FuzzyRule("lastname", Method.JARO, 0.5), FuzzyRule("lastname", Method.JARO))},
        ["fuzzy[1].field"],
    ),
    ({"fuzzy": (FuzzyRule("telephone", Method.PHONE, 1.0),)}, ["fuzzy[0].field"]),
    (
        {"fuzzy": (FuzzyRule("lastname", Method.PHONE, 1.0),), "blocking": ("telephone1",)},
        ["fuzzy[0].method"],
    ),
    (
        {"fuzzy": (FuzzyRule("jobtitle", Method.COMPANY, 1.0),), "blocking": ("telephone1",)},
        ["fuzzy[0].method"],
    ),
    (
        {"fuzzy": [{"field": "lastname", "method": "soundex", "threshold": -1, "weight": 0}]},
        ["fuzzy[0].method", "fuzzy[0].threshold", "fuzzy[0].weight"],
    ),
    ({"fuzzy": "lastname"}, ["fuzzy"]),
    ({"fuzzy": [3]}, ["fuzzy[0]"]),
    (
        {"fields": ("emailaddress1",), "normalizers": {"emailaddress1": "soundex"}},
        ["normalizers.emailaddress1"],
    ),
    ({"fields": ("emailaddress1",), "normalizers": {"lastname": "name"}}, ["normalizers.lastname"]),
    ({"fields": ("emailaddress1",), "normalizers": ["email"]}, ["normalizers"]),
    (
        {
            "fields": ("telephone1",),
            "fuzzy": (FuzzyRule("mobilephone", Method.PHONE),),
            "normalizers": {"mobilephone": "text"},
        },
        ["fuzzy[0].method"],
    ),
    ({"name": 7, "target": None, "fields": None}, ["name", "target", "fields"]),
    ({"fields": ("emailaddress1",), "max_candidates": 0}, ["max_candidates"]),
    ({"fields": ("emailaddress1",), "max_candidates": 2.5}, ["max_candidates"]),
    ({"fields": ("emailaddress1",), "max_candidates": True}, ["max_candidates"]),
]


class TestValidation:
    """Bad strategies are refused with one StrategyError naming every bad field."""

    @pytest.mark.parametrize(("kwargs", "fields"), INVALID, ids=case_id)
    def test_invalid_strategies(self, kwargs: dict[str, Any], fields: list[str]) -> None:
        """Each invalid strategy names exactly the fields at fault."""
        assert list(_fields_of(**kwargs)) == fields

    def test_message_shape(self) -> None:
        """Problems read ``'<field>' must be <expected> (got <value>).``, the strategy named
        (``strategy``); the message is the problems' and nothing else."""
        with pytest.raises(StrategyError) as raised:
            MatchStrategy("web", Target.CONTACT, fields=("companyname",), min_score=2)
        message = str(raised.value)
        assert (raised.value.strategy, raised.value.subject) == ("web", "match strategy")
        assert message == " ".join(p.message for p in raised.value.problems)
        assert "'fields' must be fields of a contact (" in message
        assert "(got ['companyname'])." in message
        assert "'min_score' must be a number in [0, 1] (got 2)." in message
        assert Problem("min_score", "a number in [0, 1]", 2) in raised.value.problems

    def test_error_is_a_leadflow_value_error_and_pickles(self) -> None:
        """StrategyError is a LeadflowError and a ValueError, and survives pickling."""
        with pytest.raises(StrategyError) as raised:
            MatchStrategy("s", Target.LEAD)
        err = raised.value
        assert isinstance(err, LeadflowError)
        assert isinstance(err, ValueError)
        copy = pickle.loads(pickle.dumps(err))
        assert (str(copy), copy.fields, copy.strategy) == (str(err), err.fields, "s")

    def test_rule_errors_say_rule(self) -> None:
        """A bad rule on its own is reported as a fuzzy rule."""
        with pytest.raises(StrategyError, match=r"^'weight' must be") as raised:
            FuzzyRule("lastname", Method.JARO, weight=0)
        assert (raised.value.strategy, raised.value.subject) == (None, "fuzzy rule")

    @pytest.mark.parametrize("strategy", list(PRESETS.values()), ids=list(PRESETS))
    def test_strategies_pickle(self, strategy: MatchStrategy) -> None:
        """A strategy pickles (for worker processes) and still matches after."""
        copy = pickle.loads(pickle.dumps(strategy))
        assert copy == strategy
        assert copy.match(DANA, DANA) == strategy.match(DANA, DANA)
        assert copy.blocking_keys(DANA) == strategy.blocking_keys(DANA)

    @pytest.mark.parametrize(
        ("kwargs", "fields"),
        [
            ({"field": "", "method": Method.JARO}, ["field"]),
            ({"field": "lastname", "method": "jw"}, ["method"]),
            ({"field": "lastname", "method": Method.JARO, "threshold": 1.01}, ["threshold"]),
            ({"field": "lastname", "method": Method.JARO, "weight": -1}, ["weight"]),
            ({"field": "lastname", "method": Method.JARO, "weight": float("inf")}, ["weight"]),
            (
                {"field": None, "method": None, "threshold": "0.5", "weight": 0},
                ["field", "method", "threshold", "weight"],
            ),
        ],
        ids=case_id,
    )
    def test_invalid_rules(self, kwargs: dict[str, Any], fields: list[str]) -> None:
        """A fuzzy rule checks its own field, method, threshold and weight."""
        with pytest.raises(StrategyError) as raised:
            FuzzyRule(**kwargs)
        assert list(raised.value.fields) == fields

    def test_plain_values_build_the_same_strategy(self) -> None:
        """Enum values, lists and rule mappings build the same strategy as the typed values."""
        plain = MatchStrategy(
            "s",
            "lead",  # type: ignore[arg-type]
            fields=["emailaddress1"],  # type: ignore[arg-type]
            fuzzy=[{"field": "lastname", "method": "jaro", "weight": 2}],  # type: ignore[arg-type]
            min_score=1,
        )
        typed = MatchStrategy(
            "s",
            Target.LEAD,
            fields=("emailaddress1",),
            fuzzy=(FuzzyRule("lastname", Method.JARO, 0.0, 2.0),),
            min_score=1.0,
        )
        assert plain == typed
        assert hash(plain) == hash(typed)
        assert isinstance(plain.fields, tuple)
        assert plain.fuzzy[0].method is Method.JARO

    def test_frozen(self) -> None:
        """Strategies and rules are frozen values."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            CONTACT_BY_EMAIL.min_score = 0.5  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            CONTACT_FUZZY.fuzzy[0].threshold = 0.5  # type: ignore[misc]


# --- data round trips --------------------------------------------------------------------------


class TestFromDict:
    """Loading strategies from plain data and JSON."""

    @pytest.mark.parametrize("strategy", list(PRESETS.values()), ids=list(PRESETS))
    def test_presets_round_trip(self, strategy: MatchStrategy) -> None:
        """Every preset survives to_dict/from_dict and to_json/from_json unchanged."""
        assert MatchStrategy.from_dict(strategy.to_dict()) == strategy
        assert MatchStrategy.from_json(strategy.to_json()) == strategy
        assert json.loads(json.dumps(strategy.to_dict())) == strategy.to_dict()

    def test_plain_json_values(self) -> None:
        """to_dict holds enums as their values and tuples as lists."""
        data = LEAD_FUZZY.to_dict()
        assert data["target"] == "lead"
        assert data["fuzzy"][0] == {
            "field": "fullname",
            "method": "token_set",
            "threshold": 0.9,
            "weight": 2.0,
        }
        assert data["blocking"] == ["emailaddress1", "telephone1", "fullname"]
        assert data["normalizers"] == {"emailaddress1": "email_canonical"}

    def test_minimal_data(self) -> None:
        """Only name and target are required; the rest has defaults."""
        strategy = MatchStrategy.from_dict(
            {"name": "web", "target": "contact", "fields": ["emailaddress1"]}
        )
        assert strategy == MatchStrategy("web", Target.CONTACT, fields=("emailaddress1",))
        rule = FuzzyRule.from_dict({"field": "lastname", "method": "jaro_winkler"})
        assert rule == FuzzyRule("lastname", Method.JARO_WINKLER, 0.0, 1.0)
        assert FuzzyRule.from_dict(rule.to_dict()) == rule

    def test_unknown_keys_at_every_level(self) -> None:
        """Unknown keys are named, with the allowed keys listed, at the top and in rules."""
        data = {
            **CONTACT_FUZZY.to_dict(),
            "minscore": 0.5,
            "fuzzy": [
                {**CONTACT_FUZZY.fuzzy[0].to_dict(), "thresold": 0.9},
                *(rule.to_dict() for rule in CONTACT_FUZZY.fuzzy[1:]),
            ],
        }
        with pytest.raises(StrategyError) as raised:
            MatchStrategy.from_dict(data)
        assert raised.value.fields == ("minscore", "fuzzy[0].thresold")
        message = str(raised.value)
        assert (
            "'minscore' must be one of the keys blocking, fields, fuzzy, max_candidates, "
            "min_score, name, normalizers, shared_missing, target (got an unknown key)."
        ) in message
        assert (
            "'fuzzy[0].thresold' must be one of the keys field, method, threshold, weight"
            in message
        )
        with pytest.raises(StrategyError, match="'weigth' must be one of the keys field, method"):
            FuzzyRule.from_dict({"field": "lastname", "method": "jaro", "weigth": 2})

    @pytest.mark.parametrize(
        ("data", "fields"),
        [
            ({"target": "lead", "fields": ["emailaddress1"]}, ["name"]),
            ({"name": "web"}, ["target"]),
            ({"name": "web", "target": "lead", "fuzzy": [{"method": "jaro"}]}, ["fuzzy[0].field"]),
            (
                {"name": "web", "target": "lead", "fuzzy": [{"field": "lastname"}]},
                ["fuzzy[0].method"],
            ),
            ({"name": "web", "target": "lead", "fields": [1]}, ["fields"]),
            (
                {"name": "web", "target": "lead", "fields": ["emailaddress1"], "min_score": "1"},
                ["min_score"],
            ),
            (
                {
                    "name": "web",
                    "target": "lead",
                    "fields": ["emailaddress1"],
                    "blocking": "emailaddress1",
                },
                ["blocking"],
            ),
            ({"name": ["web"], "target": 1}, ["name", "target"]),
            ({"nom": "web", "target": "lead"}, ["nom", "name"]),
            (["name", "web"], ["strategy"]),
        ],
        ids=case_id,
    )
    def test_missing_and_wrong_typed_keys(self, data: Any, fields: list[str]) -> None:
        """Missing required keys and values of the wrong type are each named."""
        with pytest.raises(StrategyError) as raised:
            MatchStrategy.from_dict(data)
        assert list(raised.value.fields) == fields

    def test_missing_key_message(self) -> None:
        """A missing key reads ``'<key>' must be given (got nothing).``"""
        with pytest.raises(StrategyError, match=r"'target' must be given \(got nothing\)\."):
            MatchStrategy.from_dict({"name": "web"})

    @pytest.mark.parametrize("text", ["{", "", "null", "[]", '{"name": "web", "target": "lead", }'])
    def test_bad_json(self, text: str) -> None:
        """Malformed JSON, or JSON that is not an object, is a StrategyError."""
        with pytest.raises(StrategyError):
            MatchStrategy.from_json(text)


_LEAD_TEXT = sorted(Target.LEAD.matchable_fields - {"telephone1", "mobilephone", "companyname"})
_METHODS = [m for m in Method if m not in (Method.PHONE, Method.COMPANY)]


_PROBED = [*_LEAD_TEXT, "telephone1", "mobilephone", "companyname"]
_PROBE_VALUES = ["Dana", "Dana ", "dana", "Dan", "Reyes", "Dana Reyes", "", "+1 425 555 0100",
                 "425-555-0100", "dana@contoso.com", "DANA@contoso.com", "Contoso Ltd", "x"]  # fmt: skip
"""Values that often agree after normalisation, so that pairs pass and fail gates."""


@st.composite
def strategies(draw: st.DrawFn) -> MatchStrategy:
    """Valid lead strategies: exact fields, fuzzy rules, thresholds, weights, blocking."""
    names = draw(st.permutations(_LEAD_TEXT))
    fields = tuple(names[: draw(st.integers(0, 3))])
    rule_fields = names[len(fields) : len(fields) + draw(st.integers(0 if fields else 1, 3))]
    rules = [
        FuzzyRule(
            field,
            draw(st.sampled_from(_METHODS)),
            draw(st.floats(0, 1)),
            draw(st.floats(0.01, 10)),
        )
        for field in rule_fields
    ]
    if draw(st.booleans()):
        rules.append(FuzzyRule("telephone1", Method.PHONE, draw(st.floats(0, 1))))
    if draw(st.booleans()):
        rules.append(FuzzyRule("companyname", Method.COMPANY, weight=draw(st.floats(0.1, 3))))
    shared = tuple(draw(st.sets(st.sampled_from(fields))) if fields else ())
    blocking = draw(
        st.lists(
            st.sampled_from(["emailaddress1", "telephone1", "mobilephone", "fullname"]),
            unique=True,
            min_size=1,
        )
    )
    return MatchStrategy(
        draw(st.text(min_size=1, max_size=10).filter(str.strip)),
        Target.LEAD,
        fields=fields,
        fuzzy=tuple(rules),
        min_score=draw(st.floats(0.01, 1)),
        blocking=tuple(blocking),
        shared_missing=shared if len(shared) < len(fields) else (),
    )


class TestProperties:
    """Round trips and scoring properties over generated strategies."""

    @given(strategies())
    def test_round_trip(self, strategy: MatchStrategy) -> None:
        """Any valid strategy survives to_dict/from_dict and JSON unchanged."""
        assert MatchStrategy.from_dict(strategy.to_dict()) == strategy
        assert MatchStrategy.from_json(strategy.to_json()) == strategy

    @given(
        strategies(),
        st.dictionaries(
            st.sampled_from([*_LEAD_TEXT, "telephone1", "companyname"]), st.text(max_size=6)
        ),
        st.dictionaries(
            st.sampled_from([*_LEAD_TEXT, "telephone1", "companyname"]), st.text(max_size=6)
        ),
    )
    def test_match_symmetric_and_bounded(
        self, strategy: MatchStrategy, a: dict[str, str], b: dict[str, str]
    ) -> None:
        """match(a, b) and match(b, a) agree, with a score in [0, 1]."""
        one, other = strategy.match(a, b), strategy.match(b, a)
        assert (one.score, one.matched) == (other.score, other.matched)
        assert 0.0 <= one.score <= 1.0

    @given(
        st.one_of(strategies(), st.sampled_from(list(PRESETS.values()))),
        st.dictionaries(st.sampled_from(_PROBED), st.sampled_from(_PROBE_VALUES)),
        st.dictionaries(st.sampled_from(_PROBED), st.sampled_from(_PROBE_VALUES)),
    )
    def test_the_shortcuts_of_a_search_agree_with_the_full_score(
        self, strategy: MatchStrategy, a: dict[str, str], b: dict[str, str]
    ) -> None:
        """A candidate turned away by ``passes_gates`` never matches, and
        ``matches_normalised`` gives exactly the full score's verdict: a search that takes
        the shortcuts finds the same matches as one that scores every pair."""
        mine, theirs = strategy.normalised(a), strategy.normalised(b)
        full = score_normalised(strategy, mine, theirs)

        assert matches_normalised(strategy, mine, theirs) == full.matched
        if not strategy.passes_gates(mine, b):
            assert not full.matched
        assert strategy.passes_gates(mine, b) == all(f.passed for f in full.fields if f.required)

    def test_default_normalizers_name_known_normalizers(self) -> None:
        """Every normaliser in the field table exists."""
        assert set(DEFAULT_NORMALIZERS.values()) <= set(NORMALIZERS)
