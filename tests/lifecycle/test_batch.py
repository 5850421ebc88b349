"""``Lifecycle.fire_many`` decides exactly as firing each record one at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import (
    Account,
    AccountState,
    Contact,
    ContactState,
    InvalidFieldError,
    InvalidStatusError,
    Lead,
    LeadflowError,
    LeadStatus,
    TransitionNotAllowed,
)
from lifecycle.definitions import LEAD_LIFECYCLE
from lifecycle.errors import UnknownTriggerError
from lifecycle.machines import BatchResult
from tests.strategies import NAIVE, T1, LeadSpec, lead_specs, snapshot

# Each case: trigger and a factory of its parameters (called once per copy, so the two
# runs get equal but distinct parameter records).
CASES: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "mark_contacted": ("mark_contacted", dict),
    "qualify": ("qualify", dict),
    "qualify+contact": ("qualify", lambda: {"create_contact": True}),
    "qualify+account": ("qualify", lambda: {"create_account": True}),
    "qualify+all": (
        "qualify",
        lambda: {"create_contact": True, "create_account": True, "create_opportunity": True},
    ),
    "qualify+link": (
        "qualify",
        lambda: {
            "contact": Contact(id="contact-1", marketingonly=True),
            "account": Account(id="account-1"),
        },
    ),
    "qualify+link-inactive": (
        "qualify",
        lambda: {
            "contact": Contact(id="contact-1"),
            "account": Account(id="account-1", state=AccountState.INACTIVE),
        },
    ),
    "disqualify": ("disqualify", dict),
    "disqualify:cannot_contact": (
        "disqualify",
        lambda: {"status_reason": LeadStatus.CANNOT_CONTACT},
    ),
    "disqualify:canceled": ("disqualify", lambda: {"status_reason": LeadStatus.CANCELED}),
    "reactivate": ("reactivate", dict),
    "absorb": (
        "absorb",
        lambda: {"subordinate": Lead(id="sub-1", lastname="Sub", companyname="Sub Ltd")},
    ),
    "absorb+take": (
        "absorb",
        lambda: {"subordinate": Lead(id="sub-1", firstname="Taken"), "take": ("firstname",)},
    ),
    "merge_into": ("merge_into", lambda: {"master": Lead(id="master-1")}),
    "anonymize": ("anonymize", dict),
    "delete": ("delete", dict),
}

# Fields holding ids that qualify generates at random: compared as set/unset only.
RANDOM_REFERENCES = (
    "parentcontactid",
    "parentaccountid",
    "customerid",
    "qualifyingopportunityid",
    "primarycontactid",
)


def comparable(record: Any) -> dict[str, Any]:
    """Every field of ``record``, with randomly generated ids reduced to whether they are set."""
    fields = attrs.asdict(record, recurse=True)
    for name in RANDOM_REFERENCES:
        if (
            name in fields
            and fields[name] is not None
            and fields[name] not in ("contact-1", "account-1")
        ):
            fields[name] = "<generated>"
    return fields


def params_records(params: dict[str, Any]) -> list[Any]:
    """The records among a case's parameters."""
    return [v for v in params.values() if isinstance(v, (Lead, Contact, Account))]


class TestFireManyMatchesFire:
    """Property: fire_many gives the results and per-record errors of fire, one at a time."""

    @settings(max_examples=settings.default.max_examples * 4)
    @given(
        specs=st.lists(lead_specs, max_size=10),
        case=st.sampled_from(sorted(CASES)),
        at=st.none() | st.just(T1),
        actor=st.none() | st.just("batch"),
    )
    def test_same_outcome(self, specs: list[LeadSpec], case: str, at: Any, actor: Any) -> None:
        """States, statuses, fields, history and errors agree with the single path."""
        trigger, make_params = CASES[case]
        batch = [spec.build(i) for i, spec in enumerate(specs)]
        single = [spec.build(i) for i, spec in enumerate(specs)]
        batch_params, single_params = make_params(), make_params()

        result = LEAD_LIFECYCLE.fire_many(batch, trigger, at=at, actor=actor, **batch_params)

        errors: dict[int, LeadflowError] = {}
        for index, lead in enumerate(single):
            try:
                LEAD_LIFECYCLE.fire(lead, trigger, at=at, actor=actor, **single_params)
            except LeadflowError as err:
                errors[index] = err

        assert isinstance(result, BatchResult)
        assert result.errors.keys() == errors.keys()
        for index, err in errors.items():
            got = result.errors[index]
            assert (type(got), str(got)) == (type(err), str(err))
            if isinstance(err, TransitionNotAllowed):
                assert got == err
        assert result.refused == len(errors)
        assert result.applied == len(specs) - len(errors)
        for mine, theirs in zip(batch, single, strict=True):
            assert (mine.state, mine.status) == (theirs.state, theirs.status)
            assert mine.history == theirs.history
            assert comparable(mine) == comparable(theirs)
        for mine, theirs in zip(
            params_records(batch_params), params_records(single_params), strict=True
        ):
            assert comparable(mine) == comparable(theirs)

    @given(specs=st.lists(lead_specs, min_size=1, max_size=6))
    def test_refused_records_unchanged(self, specs: list[LeadSpec]) -> None:
        """Records fire_many refuses keep every field and their history."""
        leads = [spec.build(i) for i, spec in enumerate(specs)]
        before = [snapshot(lead) for lead in leads]
        result = LEAD_LIFECYCLE.fire_many(leads, "disqualify", status_reason=LeadStatus.LOST)
        for index in result.errors:
            assert snapshot(leads[index]) == before[index]
        for index, lead in enumerate(leads):
            if index not in result.errors:
                assert lead.status is LeadStatus.LOST
                assert len(lead.history) == 1


def _mixed() -> list[Lead]:
    return [
        LeadSpec("open/new", False, "Acme", False, True).build(0),
        LeadSpec("qualified", True, None, False, False).build(1),
        LeadSpec("disqualified/lost", False, None, True, False).build(2),
        LeadSpec("deleted", False, None, False, False).build(3),
    ]


class TestFireManyChecksFirst:
    """A bad trigger, parameter or time raises before any record changes."""

    @pytest.mark.parametrize(
        ("trigger", "params", "error"),
        [
            ("nope", {}, UnknownTriggerError),
            ("Qualify", {}, UnknownTriggerError),
            ("deactivate", {}, UnknownTriggerError),
            ("disqualify", {"status_reason": LeadStatus.NEW}, InvalidStatusError),
            ("disqualify", {"status_reason": 4}, InvalidStatusError),
            ("qualify", {"bogus": True}, InvalidFieldError),
            ("reactivate", {"status_reason": LeadStatus.LOST}, InvalidFieldError),
            ("absorb", {}, InvalidFieldError),
            ("merge_into", {}, InvalidFieldError),
            ("mark_contacted", {"at": NAIVE}, InvalidFieldError),
            ("delete", {"at": "2026-01-01"}, InvalidFieldError),
        ],
        ids=lambda v: (
            v if isinstance(v, str) else (",".join(v) if isinstance(v, dict) else v.__name__)
        ),
    )
    def test_raises_before_changing(
        self, trigger: str, params: dict[str, Any], error: type[Exception]
    ) -> None:
        """The error is raised, not collected, and every record is unchanged."""
        leads = _mixed()
        before = snapshot(*leads)
        with pytest.raises(error):
            LEAD_LIFECYCLE.fire_many(leads, trigger, **params)
        assert snapshot(*leads) == before

    @pytest.mark.parametrize(
        ("trigger", "make_params"),
        [
            ("absorb", lambda: {"subordinate": Contact()}),
            ("absorb", lambda: {"subordinate": Lead(), "take": ["nope"]}),
            ("absorb", lambda: {"subordinate": Lead(), "take": 5}),
            ("merge_into", lambda: {"master": "lead-9"}),
            ("qualify", lambda: {"contact": "contact-9"}),
            ("qualify", lambda: {"account": Contact()}),
            ("qualify", lambda: {"contact": Contact(state=ContactState.INACTIVE)}),
        ],
        ids=[
            "subordinate-type",
            "take-name",
            "take-type",
            "master-type",
            "contact-type",
            "account-type",
            "inactive-contact",
        ],
    )
    def test_bad_effect_parameters_move_nothing(self, trigger: str, make_params: Any) -> None:
        """Parameters only a trigger's effect checks either raise or refuse every record; none moves."""
        leads = _mixed()
        before = snapshot(*leads)
        try:
            result = LEAD_LIFECYCLE.fire_many(leads, trigger, **make_params())
        except LeadflowError:
            pass
        else:
            assert result.applied == 0
            assert sorted(result.errors) == list(range(len(leads)))
        assert snapshot(*leads) == before

    def test_empty(self) -> None:
        """No records: nothing applied, nothing refused."""
        result = LEAD_LIFECYCLE.fire_many([], "delete")
        assert (result.applied, result.refused, dict(result.errors)) == (0, 0, {})

    def test_errors_by_position(self) -> None:
        """errors maps each refused record's position to its error; the rest move."""
        leads = _mixed()
        result = LEAD_LIFECYCLE.fire_many(leads, "reactivate", at=T1)
        assert sorted(result.errors) == [0, 2, 3]
        assert all(isinstance(e, TransitionNotAllowed) for e in result.errors.values())
        assert "anonymized" in str(result.errors[2])
        assert result.applied == 1
        assert leads[1].status is LeadStatus.NEW
        assert leads[1].history[-1].at == T1
