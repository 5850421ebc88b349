"""lifecycle.relations: the one list of reference fields agrees with the record classes."""

from __future__ import annotations

import attrs
import pytest

from lifecycle import Account, Contact, InvalidFieldError, Lead, Record
from lifecycle.fields import reference
from lifecycle.records import SYSTEM_FIELDS
from lifecycle.relations import (
    KINDS,
    MASTER_FIELD,
    MERGE_REPOINTED,
    REFERENCE_FIELDS,
    RELATIONS,
    SYSTEM_REFERENCES,
    Meaning,
    Relation,
    parent_field,
    parent_fields,
    relations_of,
)

CLASSES: dict[str, type[Record]] = {"lead": Lead, "contact": Contact, "account": Account}
MARKETING_IDS = {"campaignid", "msdyncrm_marketingformid", "msdyncrm_marketingpageid"}
"""Ids a lead carries of the campaign, form and page it came from: not links between records."""


def _reference_fields(kind: type[Record]) -> set[str]:
    """The optional-reference fields a record class declares (their validator is kept in
    the metadata: records check only values that differ from the default)."""
    return {
        f.name for f in attrs.fields(kind) if isinstance(f.metadata.get("check"), type(reference()))
    }


class TestTheList:
    """RELATIONS is every reference the records hold, and nothing else."""

    @pytest.mark.parametrize("name", KINDS)
    def test_matches_the_record_class(self, name: str) -> None:
        """A kind's relations name exactly the reference fields its class declares, but
        for the marketing ids."""
        declared = _reference_fields(CLASSES[name]) - MARKETING_IDS
        assert {r.field for r in relations_of(name)} == declared

    def test_each_relation_once(self) -> None:
        """No (field, source, target) is listed twice."""
        assert len(set(RELATIONS)) == len(RELATIONS)
        assert len(set(REFERENCE_FIELDS)) == len(REFERENCE_FIELDS)

    def test_the_named_links(self) -> None:
        """The links the issue names, with what they mean."""
        expected = {
            Relation("parentcontactid", "lead", "contact", Meaning.PARENT),
            Relation("parentaccountid", "lead", "account", Meaning.PARENT),
            Relation("parentcustomerid", "contact", "account", Meaning.PARENT),
            Relation("originatingleadid", "contact", "lead", Meaning.QUALIFIED_FROM),
            *(Relation("masterid", k, k, Meaning.MERGED_INTO) for k in KINDS),
        }
        assert expected <= set(RELATIONS)

    def test_unknown_kinds_refused(self) -> None:
        """A relation names kinds leadflow knows."""
        with pytest.raises(ValueError, match="source"):
            Relation("x", "opportunity", "lead", Meaning.PARENT)
        with pytest.raises(ValueError, match="target"):
            Relation("x", "lead", "campaign", Meaning.PARENT)


class TestLookups:
    """What the record classes, merge, the store and the handler read from the list."""

    def test_history_is_system_and_stays_on_merge(self) -> None:
        """History links are system fields and are not re-pointed; live links the reverse."""
        assert {"masterid", "originatingleadid", "qualifyingopportunityid"} == SYSTEM_REFERENCES
        assert SYSTEM_REFERENCES <= SYSTEM_FIELDS
        assert set(MERGE_REPOINTED) == set(REFERENCE_FIELDS) - SYSTEM_REFERENCES
        assert not set(MERGE_REPOINTED) & SYSTEM_FIELDS

    def test_parents(self) -> None:
        """Each kind's parent references, and the one that links two kinds."""
        assert parent_fields("lead") == ("parentcontactid", "parentaccountid")
        assert parent_fields("contact") == ("parentcustomerid",)
        assert parent_fields("account") == ("parentaccountid",)
        assert parent_field("lead", "contact") == "parentcontactid"
        assert parent_field("contact", "account") == "parentcustomerid"
        assert MASTER_FIELD == "masterid"

    def test_bad_lookups_refused(self) -> None:
        """An unknown kind or a kind that is no parent is a typed error naming the argument."""
        with pytest.raises(InvalidFieldError, match="'source'"):
            relations_of("opportunity")
        with pytest.raises(InvalidFieldError, match="'target'"):
            parent_field("lead", "lead")
