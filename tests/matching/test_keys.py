"""Match keys: one composition, used by the store and the strategies; the stored format fixed."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import Account, Contact, Lead, Record
from matching import CONTACT_BY_EMAIL, CONTACT_FUZZY, LEAD_FUZZY, keys
from matching.store import Store, schema


@pytest.mark.parametrize(
    ("record", "filed"),
    [
        (
            Contact(
                emailaddress1=" Dana.Reyes@Contoso.COM ",
                telephone1="(425) 555-0100",
                mobilephone="+44 20 7946 0958",
                firstname="Dana",
                lastname="Reyes",
            ),
            [
                ("emailaddress1", "dana.reyes@contoso.com"),
                ("telephone1", "+14255550100"),
                ("mobilephone", "+442079460958"),
                ("fullname", "reyes|dana"),
            ],
        ),
        (
            Lead(emailaddress1="juan_wright678+news@gmail.com", firstname="José", lastname="Ruiz"),
            [("emailaddress1", "juan_wright678+news@gmail.com"), ("fullname", "ruiz|jose")],
        ),
        (
            Lead(emailaddress1="kim@bücher.example", lastname="Kim"),
            [("emailaddress1", "kim@xn--bcher-kva.example")],
        ),
        (
            Account(
                name="Contoso Ltd", telephone1="425.555.0199", emailaddress1="info@contoso.com"
            ),
            [
                ("emailaddress1", "info@contoso.com"),
                ("telephone1", "+14255550199"),
                ("name", "contoso ltd"),
            ],
        ),
        (Contact(firstname="N/A", lastname="Reyes", telephone1="call me"), []),
    ],
    ids=["contact", "gmail tag kept", "international domain", "account", "junk"],
)
def test_the_stored_key_format(record: Record, filed: list[tuple[str, str]]) -> None:
    """What a record is filed under, spelled out: the plain email (not its canonical Gmail
    form: tombstone and suppression digests are made from it), E.164 phones, the person
    key, the account name; junk gives no key."""
    assert keys.record_keys(record) == filed


def test_the_store_files_a_record_under_its_keys(store: Store) -> None:
    """The store's match_keys rows are exactly record_keys (one composition)."""
    record = Contact(
        emailaddress1="Dana@Contoso.com", telephone1="425-555-0100", firstname="Dana", lastname="R"
    )
    store.add(record)
    table = schema.match_keys
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.field, table.c.key).where(table.c.record_id == record.id)
        ).all()
    assert sorted(map(tuple, rows)) == sorted(keys.record_keys(record))


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("fullname", "Jan van Dyke", ["van dyke|jan", "dyke|jan van"]),
        ("fullname", "Dana", []),
        ("emailaddress1", " DANA@contoso.com", ["dana@contoso.com"]),
        ("telephone1", "425 555 0100", ["+14255550100"]),
        ("name", "Contoso Ltd", ["contoso ltd"]),
        ("emailaddress1", None, []),
        ("emailaddress1", "not an address", []),
    ],
)
def test_lookup_keys(field: str, value: str | None, found: list[str]) -> None:
    """A looked-up value's keys: every first/last split of a full name, one key otherwise."""
    assert keys.lookup_keys(field, value) == found


@pytest.mark.parametrize(
    ("field", "value", "error"), [("jobtitle", "x", ValueError), ("emailaddress1", 3, TypeError)]
)
def test_lookup_keys_refuses_what_is_not_a_key(field: str, value: Any, error: type) -> None:
    with pytest.raises(error, match=f"'{'field' if error is ValueError else 'value'}'"):
        keys.lookup_keys(field, value)


def test_keyed_fields_by_record_type() -> None:
    assert keys.keyed_fields_of(Contact) == (
        "emailaddress1",
        "telephone1",
        "mobilephone",
        "fullname",
    )
    assert keys.keyed_fields_of(Lead) == keys.keyed_fields_of(Contact)
    assert keys.keyed_fields_of(Account) == ("emailaddress1", "telephone1", "name")


@pytest.mark.parametrize("strategy", [CONTACT_BY_EMAIL, CONTACT_FUZZY, LEAD_FUZZY], ids=str)
def test_strategies_with_key_functions_still_pickle(strategy: Any) -> None:
    """Key functions are module-level functions or partials, so strategies cross processes."""
    again = pickle.loads(pickle.dumps(strategy))
    values = {"emailaddress1": "a@b.co", "firstname": "Ada", "lastname": "Byron"}
    assert again == strategy
    assert again.blocking_keys(values) == strategy.blocking_keys(values)
    assert all(pickle.loads(pickle.dumps(f)) for f in keys.KEY_FUNCTIONS.values())
