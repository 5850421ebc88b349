"""Regression tests for user-visible defects (issue 19), one or more per bug.

Each test fails on the commit before its fix for the bug's own reason, and uses only
names that existed then (errors are caught by their builtin base where the typed error
is new).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lifecycle import Contact, InvalidFieldError, Lead, LeadflowError, Policy
from lifecycle.errors import FieldTypeError
from matching import (
    CONTACT_BY_EMAIL,
    CONTACT_FUZZY,
    LEAD_BY_EMAIL,
    LEAD_BY_EMAIL_AND_PAGE,
    LEAD_FUZZY,
    ContactAction,
    LeadAction,
    MatchStrategy,
    Mode,
    StrategyError,
    SubmissionHandler,
    SubmissionPolicy,
)
from matching.cli import cli
from matching.store import open_store
from matching.store.bulk import import_csv

AT = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)

JUAN = [
    {
        "firstname": "Juan",
        "lastname": "Wright",
        "emailaddress1": "juan_wright678@gmail.com",
        "companyname": "Ryan PLC",
    },
    {
        "firstname": "juan",
        "lastname": "wright",
        "emailaddress1": "juan_wright678+news@gmail.com",
        "companyname": "Ryan PLC",
    },
    {
        "firstname": "Jhuan",
        "lastname": "Wright",
        "emailaddress1": "juan_wright678@gmail.com",
        "companyname": "Ryan PLC",
    },
]


def _submit_all(handler: SubmissionHandler, forms: list[dict[str, Any]]) -> list[Any]:
    return [handler.submit(form, at=AT + dt.timedelta(minutes=i)) for i, form in enumerate(forms)]


def test_bug1_a_replay_without_a_concurrent_writer_never_conflicts(tmp_path: Path) -> None:
    """Three spellings of Juan Wright with one Gmail mailbox, single-threaded: the third
    raised ConflictError ("another writer created a matching record first") after every
    retry, because the claim on the plain address named a contact the store keys no
    longer found. Now it matches that contact, explained by its score."""
    with open_store(str(tmp_path / "leadflow.db")) as store:
        handler = SubmissionHandler(store, contact_strategy=CONTACT_FUZZY, mode="only-contacts")
        outcomes = _submit_all(handler, JUAN)
    assert [o.contact_action for o in outcomes] == [
        ContactAction.CREATED,
        ContactAction.UPDATED,
        ContactAction.UPDATED,
    ]
    assert len({o.contact_id for o in outcomes}) == 1
    third = outcomes[2].contact_match
    assert third is not None
    assert third.score is not None
    assert third.score >= CONTACT_FUZZY.min_score


def test_bug1_leads_with_gmail_and_googlemail_never_conflict(tmp_path: Path) -> None:
    """The same for leads: a lead created at gmail.com whose address then moved to
    googlemail.com (the same mailbox) still holds the claim on the gmail.com address."""
    forms = [
        {"firstname": "Ada", "lastname": "Byron", "emailaddress1": "ada.byron@gmail.com"},
        {"firstname": "Ada", "lastname": "Byron", "emailaddress1": "adabyron@googlemail.com"},
        {"firstname": "Adda", "lastname": "Byron", "emailaddress1": "ada.byron@gmail.com"},
    ]
    with open_store(str(tmp_path / "leadflow.db")) as store:
        handler = SubmissionHandler(store, lead_strategy=LEAD_FUZZY, mode="only-leads")
        outcomes = _submit_all(handler, forms)
    assert [o.lead_action for o in outcomes] == [
        LeadAction.CREATED,
        LeadAction.UPDATED,
        LeadAction.UPDATED,
    ]
    assert len({o.lead_id for o in outcomes}) == 1


# --- property: no ConflictError without a concurrent writer ------------------------------

FIRST = ["Juan", "Jhuan", "juan", "JUAN", "Juan Carlos"]
LAST = ["Wright", "wright", "Wrigth", "Wright "]
PHONES = [None, "+1 206 555 0100", "(206) 555-0100", "206.555.0100"]
PAGES = [None, "5f0c6d2e-8f0b-4f6e-9c1a-1d2e3f4a5b6c", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]


def _email(local: str, variant: int) -> str:
    """Spellings of one Gmail mailbox (dots, ``+tags``, googlemail, case) and one other."""
    user, tag = local.replace("_", "."), f"{local}+news"
    return [
        f"{local}@gmail.com",
        f"{user}@gmail.com",
        f"{tag}@gmail.com",
        f"{local}@googlemail.com",
        f"{local.upper()}@GMAIL.COM",
        f"{local}@example.com",
    ][variant]


_person = st.tuples(
    st.integers(0, len(FIRST) - 1),
    st.integers(0, len(LAST) - 1),
    st.integers(0, 5),
    st.integers(0, len(PHONES) - 1),
    st.integers(0, len(PAGES) - 1),
)
_examples = itertools.count()
_STRATEGIES: list[tuple[MatchStrategy, MatchStrategy]] = [
    (CONTACT_BY_EMAIL, LEAD_BY_EMAIL_AND_PAGE),
    (CONTACT_BY_EMAIL, LEAD_BY_EMAIL),
    (CONTACT_FUZZY, LEAD_FUZZY),
    (CONTACT_FUZZY, LEAD_BY_EMAIL_AND_PAGE),
    (CONTACT_BY_EMAIL, LEAD_FUZZY),
]


@pytest.fixture(scope="module")
def empty_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty store file to copy: each example gets stores of its own."""
    path = tmp_path_factory.mktemp("template") / "empty.db"
    open_store(str(path)).close()
    return path


def _outcomes(
    template: Path, strategies: tuple[MatchStrategy, MatchStrategy], mode: Mode, forms: list[Any]
) -> list[tuple[object, ...]]:
    """The submissions' outcomes in a store of their own, with ids by order of appearance."""
    path = template.with_name(f"example-{next(_examples)}.db")
    shutil.copyfile(template, path)
    with open_store(str(path)) as store:
        handler = SubmissionHandler(store, *strategies, mode=mode, retries=0)
        outcomes = _submit_all(handler, forms)
        for o in outcomes:
            if o.contact_id is not None:
                assert store.exists(Contact, o.contact_id)
            if o.lead_id is not None:
                assert store.exists(Lead, o.lead_id)
            assert (o.contact_action is ContactAction.UPDATED) == (o.contact_match is not None)
            assert (o.lead_action is LeadAction.UPDATED) == (o.lead_match is not None)
    path.unlink()
    ids: dict[str | None, int] = {None: -1}
    return [
        (
            o.contact_action,
            o.lead_action,
            ids.setdefault(o.contact_id, len(ids)),
            ids.setdefault(o.lead_id, len(ids)),
            tuple(ids.setdefault(d.record_id, len(ids)) for d in o.duplicates),
            tuple(n.code for n in o.warnings),
        )
        for o in outcomes
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # the Juan Wright: a name typo back on the plain address
    strategies=(CONTACT_FUZZY, LEAD_FUZZY),
    mode=Mode.ONLY_CONTACTS,
    people=[(0, 0, 0, 0, 0), (2, 1, 2, 0, 0), (1, 0, 0, 0, 0)],
)
@example(  # leads: googlemail.com, then a name typo back on gmail.com
    strategies=(CONTACT_BY_EMAIL, LEAD_FUZZY),
    mode=Mode.ONLY_LEADS,
    people=[(0, 0, 0, 0, 0), (0, 0, 3, 0, 0), (1, 0, 0, 0, 0)],
)
@given(
    strategies=st.sampled_from(_STRATEGIES),
    mode=st.sampled_from(list(Mode)),
    people=st.lists(_person, min_size=1, max_size=6),
)
def test_near_identical_people_in_sequence_never_conflict(
    empty_store_file: Path,
    strategies: tuple[MatchStrategy, MatchStrategy],
    mode: Mode,
    people: list[tuple[int, int, int, int, int]],
) -> None:
    """Any sequence of near-identical submissions, under every shipped strategy and
    mode, single-threaded: never a ConflictError (``retries=0`` lets none be hidden),
    every record named exists, an update says how it matched, and the same sequence
    gives the same outcomes in another store."""
    forms = [
        {
            "firstname": FIRST[first],
            "lastname": LAST[last],
            "emailaddress1": _email("juan_wright678", email),
            "telephone1": PHONES[phone],
            "msdyncrm_marketingpageid": PAGES[page],
        }
        for first, last, email, phone, page in people
    ]
    first = _outcomes(empty_store_file, strategies, mode, forms)
    assert _outcomes(empty_store_file, strategies, mode, forms) == first


# --- bug 3: a refusal names what its caller can use ------------------------------------


def _tombstoned_file(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "leadflow.db"
    with open_store(str(db)) as store:
        gone = Lead(lastname="Gone", emailaddress1="gone@example.com")
        store.add(gone)
        store.delete(Lead, gone.id, reason="duplicate", at=AT)
    rows = tmp_path / "leads.csv"
    rows.write_text(
        "leadid,statecode,statuscode,lastname,emailaddress1\nnew-1,0,1,Back,gone@example.com\n",
        encoding="utf-8",
    )
    return db, rows


def test_bug3_the_command_line_names_its_own_flag(tmp_path: Path) -> None:
    """Importing a row whose address belongs to a deleted lead told CLI users to pass
    ``allow_tombstoned``; the command's flag is ``--allow-tombstoned``, on the screen and
    in the ``--errors`` file."""
    db, rows = _tombstoned_file(tmp_path)
    errors = tmp_path / "errors.csv"
    done = CliRunner().invoke(
        cli, ["db", "import", "lead", str(rows), "--db", str(db), "--errors", str(errors)]
    )
    assert done.exit_code == 1
    written = errors.read_text(encoding="utf-8")
    for text in (done.output, written):
        assert "--allow-tombstoned" in text
        assert "allow_tombstoned" not in text
    again = CliRunner().invoke(
        cli, ["db", "import", "lead", str(rows), "--db", str(db), "--allow-tombstoned"]
    )
    assert again.exit_code == 0, again.output


def test_bug3_python_names_the_keyword(tmp_path: Path) -> None:
    """The same refusal read from Python names the keyword argument that accepts the row."""
    db, rows = _tombstoned_file(tmp_path)
    with open_store(str(db)) as store:
        report = import_csv(store, rows, Lead)
        (error,) = report.rejected
        assert "allow_tombstoned=True" in str(error)
        assert "--allow-tombstoned" not in str(error)
        assert import_csv(store, rows, Lead, allow_tombstoned=True).inserted == 1


@pytest.mark.parametrize(
    ("strategy", "keyed"),
    [
        (CONTACT_BY_EMAIL, True),
        (LEAD_BY_EMAIL_AND_PAGE, True),
        (LEAD_BY_EMAIL, True),
        (CONTACT_FUZZY, False),
        (LEAD_FUZZY, False),
        (
            MatchStrategy(
                "contact-by-canonical-email",
                "contact",
                fields=("emailaddress1",),
                normalizers={"emailaddress1": "email_canonical"},
            ),
            False,
        ),
    ],
    ids=lambda v: v.name if isinstance(v, MatchStrategy) else str(v),
)
def test_the_claim_holder_is_looked_up_only_where_keys_may_miss_it(
    strategy: MatchStrategy, keyed: bool
) -> None:
    """The Dynamics presets' keys always find a matching claim holder (no extra read on
    the hot path); a strategy comparing what the store does not key needs the lookup."""
    assert strategy.keys_find_claim_holders is keyed


# --- bug 2: every field of every configuration checked, every problem at once -----------

_SHAPE = re.compile(r"^'(?P<field>[^']+)' must be .+ \(got .+\)\.$")


def _fields_named(error: InvalidFieldError) -> list[str]:
    """The fields an error's problems name, each problem in the one message shape."""
    named = []
    for problem in error.problems:
        shape = _SHAPE.match(problem.message)
        assert shape is not None, problem.message
        assert shape["field"] == problem.path
        named.append(problem.path)
    return named


@pytest.mark.parametrize("flag", ["no", "yes", "false", 1, 0, None])
def test_bug2_a_truthy_non_bool_does_not_switch_an_option_on(flag: object) -> None:
    """``SubmissionPolicy(generate_leads_without_matching="no")`` was accepted, and the
    truthy "no" switched the option on. Now it is a typed error naming the field."""
    with pytest.raises(TypeError, match=r"^'generate_leads_without_matching' must be a bool"):
        SubmissionPolicy(generate_leads_without_matching=flag)  # type: ignore[arg-type]
    with pytest.raises(FieldTypeError):
        SubmissionPolicy.from_dict({"generate_leads_without_matching": flag})


BAD_SUBMISSION_POLICY = {
    "mode": "contacts-only",
    "generate_leads_without_matching": "no",
    "on_closed_contact": "reopen",
    "on_closed_lead": None,
    "on_tombstoned": 1,
}
BAD_POLICY = {
    "enforce_consent_levels": "no",
    "consent_model": "obm",
    "minimum_levels": {"commercial": 9},
    "journey_minimum": "profiling",
    "purposes": "commercial",
    "kind_purposes": {"fax": "commercial"},
    "check_contact_flags": 1,
    "closed_record_blocks": "commercial",
    "honour_suppressions": None,
}


@pytest.mark.parametrize(
    ("build", "bad"),
    [
        (SubmissionPolicy, BAD_SUBMISSION_POLICY),
        (SubmissionPolicy.from_dict, BAD_SUBMISSION_POLICY),
        (Policy, BAD_POLICY),
        (Policy.from_dict, BAD_POLICY),
    ],
    ids=["SubmissionPolicy", "SubmissionPolicy.from_dict", "Policy", "Policy.from_dict"],
)
def test_bug2_every_bad_field_of_a_policy_is_reported_at_once(
    build: Callable[..., Any], bad: dict[str, Any]
) -> None:
    """``lifecycle.Policy`` stopped at the first bad field; now both policies report every
    field, each in the message shape, in one typed error, and each field alone is refused
    on its own."""
    takes_mapping = getattr(build, "__name__", "") == "from_dict"
    with pytest.raises(InvalidFieldError) as raised:
        build(bad) if takes_mapping else build(**bad)
    assert isinstance(raised.value, LeadflowError)
    assert _fields_named(raised.value) == list(bad)
    for field, value in bad.items():
        with pytest.raises(InvalidFieldError) as alone:
            build({field: value}) if takes_mapping else build(**{field: value})
        assert _fields_named(alone.value) == [field]


def test_bug2_unknown_keys_and_bad_values_are_reported_together() -> None:
    with pytest.raises(InvalidFieldError) as raised:
        SubmissionPolicy.from_dict({"mode": "nope", "update_contacts": True})
    assert _fields_named(raised.value) == ["policy", "mode"]
    with pytest.raises(InvalidFieldError) as raised:
        Policy.from_dict({"bogus": 1, "honour_suppressions": "yes"})
    assert _fields_named(raised.value) == ["policy", "honour_suppressions"]


def test_bug2_the_handler_reports_every_bad_option_at_once(tmp_path: Path) -> None:
    """``SubmissionHandler(policy={...}, clock="now")`` was accepted; now each bad option
    is named in one typed error, and nothing is opened or written."""
    with open_store(str(tmp_path / "leadflow.db")) as store:
        with pytest.raises(InvalidFieldError) as raised:
            SubmissionHandler(
                store,
                LEAD_FUZZY,  # type: ignore[arg-type]
                policy={"mode": "only-leads"},  # type: ignore[arg-type]
                clock="now",  # type: ignore[arg-type]
                retries=-1,
                mode="contacts-only",
            )
        assert _fields_named(raised.value) == [
            "contact_strategy",
            "retries",
            "clock",
            "policy",
            "mode",
        ]
        assert isinstance(raised.value, TypeError | ValueError)
        assert store.count(Contact) == 0


def test_bug2_a_strategy_reports_every_problem_at_once() -> None:
    """Strategies already collected problems; they share the one collector now."""
    with pytest.raises(StrategyError) as raised:
        MatchStrategy.from_dict(
            {
                "name": "x",
                "target": "lead",
                "fields": ["emailaddress1"],
                "min_score": 2,
                "max_candidates": 0,
                "bogus": 1,
            }
        )
    assert set(raised.value.fields) == {"bogus", "min_score", "max_candidates"}
    for problem in raised.value.problems:
        assert _SHAPE.match(problem.message), problem.message


def test_bug2_there_is_one_problem_collector() -> None:
    """``strategies._Problems`` moved to ``lifecycle.errors.Problems``; no module of
    either package defines another."""
    root = Path(__file__).resolve().parents[2]
    defined = [
        path.relative_to(root).as_posix()
        for package in ("lifecycle", "matching")
        for path in (root / package).rglob("*.py")
        if re.search(r"^class _?Problems\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert defined == ["lifecycle/errors.py"]


def test_bug2_errors_with_several_problems_pickle() -> None:
    """Worker processes report configuration errors: the combined error survives pickling."""
    import pickle

    with pytest.raises(InvalidFieldError) as raised:
        Policy(**BAD_POLICY)
    again = pickle.loads(pickle.dumps(raised.value))
    assert type(again) is type(raised.value)
    assert again.problems == raised.value.problems
    assert str(again) == str(raised.value)
