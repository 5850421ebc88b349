"""``Store``'s one-transaction methods are ``Transaction``'s, each run in a transaction of its
own: the same signature and docstring, read-only for the reads, and the method looked up on
the transaction when called (so a patched ``Transaction`` method is the one that runs)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lifecycle import Lead
from matching.store import Store, Transaction

READS = (
    "get",
    "get_many",
    "exists",
    "lookup",
    "find",
    "count",
    "history",
    "tombstone_for",
    "suppressions_for",
    "contact_point_ledger",
    "interactions",
)
WRITES = (
    "add",
    "add_many",
    "save",
    "delete",
    "anonymize",
    "claim",
    "reclaim",
    "add_suppression",
    "record_contact_point_consent",
    "add_interaction",
)


def _generated() -> set[str]:
    return {
        name
        for name, value in vars(Store).items()
        if getattr(value, "__wrapped__", None) is getattr(Transaction, name, object())
    }


def test_the_one_transaction_methods_are_the_transactions() -> None:
    assert _generated() == {*READS, *WRITES}


@pytest.mark.parametrize("name", READS + WRITES)
def test_a_generated_method_has_the_transaction_methods_signature_and_docstring(
    name: str,
) -> None:
    method, original = getattr(Store, name), getattr(Transaction, name)
    assert inspect.signature(method) == inspect.signature(original)
    assert method.__doc__ == original.__doc__
    assert (method.__name__, method.__qualname__) == (name, f"Store.{name}")
    assert method.__module__ == Store.__module__


def test_fire_is_written_out_for_its_retries() -> None:
    assert "retries" in inspect.signature(Store.fire).parameters
    assert not hasattr(Store.fire, "__wrapped__")


def test_reads_run_read_only_and_writes_do_not(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    original = Store.transaction

    @contextmanager
    def recording(self: Store, *, readonly: bool = False) -> Iterator[Transaction]:
        opened.append(readonly)
        with original(self, readonly=readonly) as tx:
            yield tx

    monkeypatch.setattr(Store, "transaction", recording)
    store.add(Lead(id="lead-1", lastname="Ruiz"))
    assert store.count(Lead) == 1
    assert store.get(Lead, "lead-1").lastname == "Ruiz"
    assert opened == [False, True, True]


def test_the_transaction_method_is_looked_up_when_called(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    original = Transaction.count

    def counting(self: Transaction, *args: Any, **kwargs: Any) -> int:
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Transaction, "count", counting)
    assert store.count(Lead) == 0
    assert calls == [(Lead,)]


def test_a_generated_write_commits_and_a_refused_one_leaves_nothing(store: Store) -> None:
    lead = Lead(id="lead-1", lastname="Ruiz")
    store.add(lead)
    with pytest.raises(ValueError, match="records with distinct ids"):
        store.add_many([Lead(id="lead-2"), Lead(id="lead-2")])
    assert store.count(Lead) == 1
    assert store.exists(Lead, "lead-1")
    assert not store.exists(Lead, "lead-2")
