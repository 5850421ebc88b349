"""``store_stats``: what a store holds, counted in the database, on SQLite and PostgreSQL.

A store filled with known records, consents, deletions, suppressions and form submissions
gives exact numbers; a randomised store gives the numbers counting its loaded records in
Python gives (``consent_level_at``, ``Suppression.applies``), at several moments.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle import (
    Account,
    ConsentLevel,
    ConsentStatus,
    ConsentValue,
    Contact,
    ContactPointConsent,
    DataConsent,
    InvalidFieldError,
    Lead,
    LeadflowError,
    Record,
    Suppression,
    SuppressionReason,
    merge,
)
from lifecycle.contactpoints import Channel
from lifecycle.eligibility import consent_level_at
from lifecycle.errors import FieldTypeError
from lifecycle.records import TYPE_NAME
from matching import SubmissionHandler
from matching.store import Store, Transaction, schema
from matching.store.bulk import to_frame
from matching.store.stats import StoreStats, store_stats
from tests.strategies import CLOCK_TIME

AT = CLOCK_TIME
DAY = dt.timedelta(days=1)
KINDS: tuple[type[Record], ...] = (Lead, Contact, Account)


def statuses(stats: StoreStats, kind: str) -> dict[tuple[int, int], int]:
    """``(statecode, statuscode) -> count``, the zero counts left out."""
    return {(s.statecode, s.statuscode): s.count for s in stats.records[kind].statuses if s.count}


def levels(stats: StoreStats, kind: str) -> dict[int, int]:
    """``level -> count``, the zero counts left out."""
    found = stats.records[kind].consent_levels
    assert found is not None
    return {int(c.level): c.count for c in found if c.count}


def consent(level: int, **fields: Any) -> DataConsent:
    return DataConsent(level=level, **fields)


def suppression(
    address: str,
    reason: SuppressionReason,
    since: dt.datetime,
    until: dt.datetime | None = None,
    account: str | None = None,
) -> Suppression:
    return Suppression(
        address=address, reason=reason, since=since, until=until, sending_account=account
    )


def point(
    address: str, value: ConsentValue, channel: Channel = Channel.EMAIL
) -> ContactPointConsent:
    return ContactPointConsent(contact_point=address, value=value, at=AT, channel=channel)


class TestKnownStore:
    """A store whose every number is known."""

    @pytest.fixture
    def filled(self, store: Store) -> Store:
        """Leads in four status reasons, contacts (one merged, one anonymized, one deleted),
        accounts, consents active, expired, cancelled and past due, suppressions global and
        per sending account in force or not, contact-point consents and three form
        submissions."""
        store.add_many(
            [
                # Open/New, Marketing (4) active: level 4.
                Lead(id="l-new", emailaddress1="new@contoso.com", consents=[consent(4)]),
                # Open/Contacted: Profiling (5) past due, Transactional (2) active: level 2.
                Lead.from_codes(
                    0,
                    2,
                    id="l-contacted",
                    consents=[consent(5, valid_until=AT - DAY), consent(2, valid_until=AT + DAY)],
                ),
                # Disqualified/Cannot Contact: Marketing cancelled, Subscription expired: 0.
                Lead.from_codes(
                    2,
                    5,
                    id="l-cannot",
                    consents=[
                        consent(4, status=ConsentStatus.CANCELLED),
                        consent(3, status=ConsentStatus.EXPIRED),
                    ],
                ),
                # Qualified/Qualified, no consent: 0.
                Lead.from_codes(1, 3, id="l-qualified"),
                Lead(id="l-doomed", emailaddress1="doomed@contoso.com", consents=[consent(5)]),
                Contact(id="c-active", emailaddress1="pat@contoso.com", consents=[consent(3)]),
                Contact(id="c-noemail", consents=[consent(1), consent(4, valid_until=AT)]),
                Contact(id="c-doomed", emailaddress1="gone@contoso.com"),
                Account(id="a-active", name="Contoso"),
                Account.from_codes(1, 2, id="a-inactive", name="Fabrikam"),
            ]
        )
        master = Contact(id="c-master", firstname="Dana", consents=[consent(4)])
        duplicate = Contact(id="c-duplicate", lastname="Reyes", emailaddress1="dana@contoso.com")
        merge(master, duplicate, at=AT)
        store.add_many([master, duplicate])
        store.anonymize(Contact, "c-active", at=AT)
        store.delete(Lead, "l-doomed", at=AT, reason="asked to be forgotten")
        store.delete(Contact, "c-doomed", at=AT)
        store.delete(Contact, "c-noemail", at=AT)  # no email: no tombstone
        for entry in (
            suppression("a@x.com", SuppressionReason.HARD_BOUNCE, AT - DAY, AT + 179 * DAY),
            suppression("b@x.com", SuppressionReason.HARD_BOUNCE, AT - 200 * DAY, AT - 20 * DAY),
            suppression("a@x.com", SuppressionReason.SPAM_COMPLAINT, AT - 5 * DAY),
            suppression("c@x.com", SuppressionReason.SPAM_COMPLAINT, AT + DAY),
            suppression(
                "a@x.com", SuppressionReason.SENDING_ACCOUNT_OPT_OUT, AT - DAY, None, "s-1"
            ),
            suppression(
                "d@x.com", SuppressionReason.SENDING_ACCOUNT_OPT_OUT, AT - DAY, None, "s-2"
            ),
            suppression(
                "d@x.com", SuppressionReason.SENDING_ACCOUNT_OPT_OUT, AT + DAY, None, "s-1"
            ),
        ):
            store.add_suppression(entry)
        for answer in (
            point("a@x.com", ConsentValue.OPTED_IN),
            point("b@x.com", ConsentValue.OPTED_IN),
            point("c@x.com", ConsentValue.OPTED_OUT),
            point("+14255550100", ConsentValue.OPTED_IN, Channel.SMS),
        ):
            store.record_contact_point_consent(answer)
        handler = SubmissionHandler(store)
        form = {"firstname": "Sam", "emailaddress1": "sam@contoso.com"}
        handler.submit({**form, "msdyncrm_marketingpageid": "pg-1"}, at=AT)
        handler.submit({**form, "msdyncrm_marketingpageid": "pg-2"}, at=AT)
        handler.submit({**form, "msdyncrm_marketingpageid": "pg-1"}, at=AT)
        return store

    def test_records_per_state_and_status(self, filled: Store) -> None:
        """Every stored record counted once in its state and status reason; deleted ones
        are gone, merged and anonymized ones stay."""
        stats = store_stats(filled, at=AT)
        # The handler created one contact and two leads (pages pg-1 and pg-2), both Open/New.
        assert statuses(stats, "lead") == {(0, 1): 3, (0, 2): 1, (2, 5): 1, (1, 3): 1}
        # Anonymizing c-active closed it; merging closed c-duplicate.
        assert statuses(stats, "contact") == {(0, 1): 2, (1, 2): 2}
        assert statuses(stats, "account") == {(0, 1): 1, (1, 2): 1}
        assert {k: s.total for k, s in stats.records.items()} == {
            "lead": 6,
            "contact": 4,
            "account": 2,
        }
        assert (stats.records["contact"].merged, stats.records["contact"].anonymized) == (1, 1)
        assert (stats.records["lead"].merged, stats.records["lead"].anonymized) == (0, 0)

    def test_labels_and_codes(self, filled: Store) -> None:
        """Every status reason is listed with its state, labels and Dynamics codes, zero
        counts included, in code order."""
        leads = store_stats(filled, at=AT).records["lead"]
        assert [(s.statuscode, s.status_label, s.state_label) for s in leads.statuses] == [
            (1, "New", "Open"),
            (2, "Contacted", "Open"),
            (3, "Qualified", "Qualified"),
            (4, "Lost", "Disqualified"),
            (5, "Cannot Contact", "Disqualified"),
            (6, "No Longer Interested", "Disqualified"),
            (7, "Canceled", "Disqualified"),
        ]
        assert leads.states == {
            ("open", 0, "Open"): 4,
            ("qualified", 1, "Qualified"): 1,
            ("disqualified", 2, "Disqualified"): 1,
        }

    def test_consent_levels_now(self, filled: Store) -> None:
        """The level is the highest consent Active and not past due at ``at``; a consent
        due exactly at ``at`` has lapsed; records with none are None (0)."""
        stats = store_stats(filled, at=AT)
        assert levels(stats, "lead") == {4: 1, 2: 1, 0: 4}
        # c-active was anonymized (its consents too), c-master holds Marketing.
        assert levels(stats, "contact") == {4: 1, 0: 3}
        assert stats.records["account"].consent_levels is None

    def test_consent_levels_move_with_at(self, filled: Store) -> None:
        """Two days on, l-contacted's Transactional consent is past due too."""
        later = store_stats(filled, at=AT + 2 * DAY)
        assert levels(later, "lead") == {4: 1, 0: 5}
        earlier = store_stats(filled, at=AT - 2 * DAY)
        assert levels(earlier, "lead") == {5: 1, 4: 1, 0: 4}

    def test_tombstones_by_record_type(self, filled: Store) -> None:
        """One tombstone per deleted record that had an email."""
        assert dict(store_stats(filled, at=AT).tombstones) == {
            "lead": 1,
            "contact": 1,
            "account": 0,
        }

    def test_suppressions(self, filled: Store) -> None:
        """Global and per-sending-account suppressions, in force at ``at`` or not."""
        s = store_stats(filled, at=AT).suppressions
        assert (s.total, s.active) == (7, 4)
        assert (s.global_total, s.global_active) == (4, 2)
        assert (s.account_total, s.account_active, s.sending_accounts) == (3, 2, 2)
        assert dict(s.by_reason) == {
            "suppressed-hard-bounce": (2, 1),
            "suppressed-spam-complaint": (2, 1),
            "suppressed-sending-account": (3, 2),
        }
        # a@x.com twice (hard bounce and spam complaint): one address.
        assert s.addresses_blocked == 1
        later = store_stats(filled, at=AT + 2 * DAY).suppressions
        assert (later.global_active, later.account_active, later.addresses_blocked) == (3, 3, 2)

    def test_other_tables(self, filled: Store) -> None:
        """Contact-point consents, interactions, claims and history events."""
        stats = store_stats(filled, at=AT)
        assert {k: dict(v) for k, v in stats.contact_point_consents.items()} == {
            "email": {"opted-in": 2, "opted-out": 1},
            "sms": {"opted-in": 1, "opted-out": 0},
            "voice": {"opted-in": 0, "opted-out": 0},
            "custom": {"opted-in": 0, "opted-out": 0},
        }
        assert stats.contact_point_total == 4
        assert dict(stats.interactions) == {"form-submission": 3}
        # One claim per record the handler created: a contact and two leads.
        assert dict(stats.claims) == {"lead": 2, "contact": 1, "account": 0}
        # The merge (an event on each side), anonymize (1) and three deletions (3).
        assert dict(stats.history_events) == {"lead": 1, "contact": 5, "account": 0}

    def test_to_dict(self, filled: Store) -> None:
        """The JSON form carries the same numbers, and totals."""
        data = store_stats(filled, at=AT).to_dict()
        assert data["store"] == filled.url
        assert data["at"] == "2026-01-01T00:00:00Z"
        assert data["records"]["lead"]["total"] == 6
        assert data["records"]["lead"]["states"][0] == {
            "state": "open",
            "statecode": 0,
            "label": "Open",
            "count": 4,
        }
        assert data["records"]["contact"]["statuses"][1] == {
            "state": "inactive",
            "statecode": 1,
            "state_label": "Inactive",
            "status": "inactive",
            "statuscode": 2,
            "status_label": "Inactive",
            "count": 2,
        }
        assert data["records"]["contact"]["consent_levels"][4] == {
            "level": 4,
            "label": "Marketing",
            "count": 1,
        }
        assert data["records"]["account"]["consent_levels"] is None
        assert data["tombstones"] == {
            "total": 2,
            "by_record_type": {"lead": 1, "contact": 1, "account": 0},
        }
        assert data["suppressions"]["global"] == {"total": 4, "active": 2}
        assert data["suppressions"]["sending_account"] == {"total": 3, "active": 2, "accounts": 2}
        assert data["contact_point_consents"]["total"] == 4
        assert data["contact_point_consents"]["by_value"] == {"opted-in": 3, "opted-out": 1}
        assert data["contact_point_consents"]["by_channel"]["sms"] == {
            "total": 1,
            "by_value": {"opted-in": 1, "opted-out": 0},
        }
        assert data["interactions"] == {"total": 3, "by_kind": {"form-submission": 3}}
        assert data["claims"]["total"] == 3
        assert data["history_events"]["total"] == 6


class TestEmptyAndOdd:
    """An empty store, codes leadflow does not know, bad arguments."""

    def test_empty_store(self, store: Store) -> None:
        """Everything zero; every status reason and level still listed."""
        stats = store_stats(store, at=AT)
        for kind in ("lead", "contact", "account"):
            assert stats.records[kind].total == 0
            assert all(s.count == 0 for s in stats.records[kind].statuses)
        assert len(stats.records["lead"].statuses) == 7
        assert levels(stats, "lead") == {}
        assert len(stats.records["contact"].consent_levels or ()) == len(ConsentLevel)
        assert stats.suppressions.total == stats.suppressions.addresses_blocked == 0
        assert sum(stats.tombstones.values()) == sum(stats.history_events.values()) == 0
        assert dict(stats.interactions) == {}

    def test_unknown_codes_are_counted(self, store: Store) -> None:
        """A row written around leadflow with a statuscode it does not know is still
        counted, as unknown, with its codes."""
        store.add_many([Lead(id="l-1"), Lead(id="l-2")])
        with store.engine.begin() as connection:
            leads = schema.leads
            connection.execute(
                sa.update(leads).where(leads.c.leadid == "l-2").values(statuscode=42)
            )
        stats = store_stats(store, at=AT)
        assert stats.records["lead"].total == 2
        (odd,) = [s for s in stats.records["lead"].statuses if s.state == "unknown"]
        assert (odd.statecode, odd.statuscode, odd.count) == (0, 42, 1)

    def test_default_at_is_now(self, store: Store) -> None:
        """Without ``at`` the stats are taken now."""
        before = dt.datetime.now(dt.UTC)
        taken = store_stats(store).at
        assert before <= taken <= dt.datetime.now(dt.UTC)

    def test_bad_arguments(self, store: Store) -> None:
        """A naive ``at`` or something other than a store is a typed error."""
        with pytest.raises(InvalidFieldError, match="'at' must be timezone-aware"):
            store_stats(store, at=dt.datetime(2026, 1, 5))
        with pytest.raises(FieldTypeError, match="'store'"):
            store_stats("leadflow.db")  # type: ignore[arg-type]

    def test_loads_no_record(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        """Counting reads no record into Python."""
        store.add_many([Lead(consents=[consent(4)]), Contact(), Account()])

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("store_stats loaded records")

        monkeypatch.setattr(Transaction, "get_many", refuse)
        monkeypatch.setattr("matching.store.codec.build_record", refuse)
        assert store_stats(store, at=AT).records["lead"].total == 1


# --- the oracle: a randomised store, counted in Python ---------------------------------------


class Randomised:
    """A store filled at random, remembering what it wrote that is not a record."""

    def __init__(self, store: Store, seed: int) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.suppressions: list[Suppression] = []
        self.points: list[ContactPointConsent] = []
        self.interactions = 0
        self.ids: dict[type[Record], list[str]] = {kind: [] for kind in KINDS}
        """Every record ever stored, deleted ones included, by kind."""
        self.tombstoned: Counter[str] = Counter()
        """Deleted records that had an email, by record type."""

    def moment(self) -> dt.datetime:
        return AT + dt.timedelta(hours=self.rng.randint(-24 * 30, 24 * 30))

    def consents(self) -> list[DataConsent]:
        rng = self.rng
        return [
            DataConsent(
                level=rng.randint(0, 5),
                status=rng.choice([ConsentStatus.ACTIVE] * 3 + list(ConsentStatus)),
                valid_until=rng.choice([None, self.moment()]),
            )
            for _ in range(rng.choice([0, 1, 1, 2, 3]))
        ]

    def record(self, n: int) -> Record:
        rng = self.rng
        kind = rng.choice(KINDS)
        status = rng.choice(list(kind.status_type))
        state = kind.state_type.named(status.state_value)
        email = rng.choice([None, f"person{rng.randint(0, 15)}@example.com"])
        fields: dict[str, Any] = {"id": f"{TYPE_NAME[kind]}-{n}", "emailaddress1": email}
        if kind is not Account:
            fields["consents"] = self.consents()
        assert state.code is not None
        return kind.from_codes(state.code, status.code, **fields)

    def fill(self, count: int) -> None:
        rng, store = self.rng, self.store
        records = [self.record(n) for n in range(count)]
        for kind in KINDS:
            open_ones = [r for r in records if type(r) is kind and r.is_active]
            if len(open_ones) >= 2:
                master, duplicate = rng.sample(open_ones, k=2)
                with contextlib.suppress(LeadflowError):  # refused: nothing merged
                    merge(master, duplicate, at=AT)
        store.add_many(records)
        for record in records:
            self.ids[type(record)].append(record.id)
        for record in rng.sample(records, k=count // 8):
            if rng.random() < 0.5:
                store.anonymize(type(record), record.id, at=AT)
            else:
                self.tombstoned[TYPE_NAME[type(record)]] += record.emailaddress1 is not None
                store.delete(type(record), record.id, at=AT)
        for n in range(rng.randint(0, 12)):
            reason = rng.choice(list(SuppressionReason))
            since = self.moment() + dt.timedelta(seconds=n)  # no two alike
            entry = suppression(
                f"person{rng.randint(0, 15)}@example.com",
                reason,
                since,
                rng.choice([None, since + dt.timedelta(days=rng.randint(1, 60))]),
                rng.choice(["s-1", "s-2"])
                if reason is SuppressionReason.SENDING_ACCOUNT_OPT_OUT
                else None,
            )
            store.add_suppression(entry)
            self.suppressions.append(entry)
        for _ in range(rng.randint(0, 8)):
            answer = point(
                f"person{rng.randint(0, 15)}@example.com",
                rng.choice(list(ConsentValue)),
                rng.choice(list(Channel)),
            )
            store.record_contact_point_consent(answer)
            self.points.append(answer)
        handler = SubmissionHandler(store)
        for _ in range(rng.randint(1, 4)):
            form = {"emailaddress1": f"form{rng.randint(0, 3)}@example.com", "lastname": "Form"}
            outcome = handler.submit(form, at=AT)
            self.interactions += outcome.interaction_id is not None
            for kind, made in ((Contact, outcome.contact_id), (Lead, outcome.lead_id)):
                if made is not None and made not in self.ids[kind]:
                    self.ids[kind].append(made)


def counted_in_python(filled: Randomised, at: dt.datetime) -> dict[str, Any]:
    """What the stats should say, from the records loaded (``get_many``, ``to_frame``) and
    the values written, counted one by one."""
    store = filled.store
    expected: dict[str, Any] = {}
    for kind in KINDS:
        pk = schema.PRIMARY_KEY[kind]
        frame = to_frame(store, kind)
        ids = sorted(frame[pk])
        loaded = store.get_many(kind, ids)
        name = TYPE_NAME[kind]
        expected[name] = {
            "statuses": Counter((r.statecode, r.statuscode) for r in loaded),
            "frame_statuses": Counter(zip(frame["statecode"], frame["statuscode"], strict=True)),
            "levels": (
                None if kind is Account else Counter(int(consent_level_at(r, at)) for r in loaded)
            ),
            "merged": sum(r.merged for r in loaded),
            "anonymized": sum(r.anonymized for r in loaded),
        }
        expected[name]["history"] = sum(len(store.history(kind, i)) for i in filled.ids[kind])
        expected[name]["tombstones"] = filled.tombstoned[name]
    entries = filled.suppressions
    expected["suppressions"] = {
        "total": len(entries),
        "active": sum(e.applies(at, e.sending_account) for e in entries),
        "global_active": sum(e.applies(at) for e in entries if e.sending_account is None),
        "addresses_blocked": len(
            {e.address for e in entries if e.sending_account is None and e.applies(at)}
        ),
    }
    expected["points"] = Counter((p.channel.value, p.value.value) for p in filled.points)
    return expected


@pytest.mark.parametrize("seed", range(4))
def test_stats_agree_with_loaded_records(store: Store, seed: int) -> None:
    """On a randomised store, at several moments, every number equals the count of the
    loaded records (``consent_level_at`` for the level, ``Suppression.applies`` for active
    suppressions) or of what was written."""
    filled = Randomised(store, seed)
    filled.fill(60)
    for at in (AT, AT - 10 * DAY, AT + 10 * DAY, filled.moment()):
        stats = store_stats(store, at=at)
        expected = counted_in_python(filled, at)
        for kind in KINDS:
            name = TYPE_NAME[kind]
            got = stats.records[name]
            assert Counter(statuses(stats, name)) == expected[name]["statuses"]
            assert expected[name]["statuses"] == expected[name]["frame_statuses"]
            assert got.total == sum(expected[name]["statuses"].values())
            if kind is Account:
                assert got.consent_levels is None
            else:
                assert Counter(levels(stats, name)) == expected[name]["levels"]
            assert (got.merged, got.anonymized) == (
                expected[name]["merged"],
                expected[name]["anonymized"],
            )
            assert stats.history_events[name] == expected[name]["history"]
            assert stats.tombstones[name] == expected[name]["tombstones"]
        s = stats.suppressions
        assert (s.total, s.active, s.global_active, s.addresses_blocked) == (
            expected["suppressions"]["total"],
            expected["suppressions"]["active"],
            expected["suppressions"]["global_active"],
            expected["suppressions"]["addresses_blocked"],
        )
        points = Counter(
            {
                (channel, value): n
                for channel, values in stats.contact_point_consents.items()
                for value, n in values.items()
                if n
            }
        )
        assert points == expected["points"]
        assert sum(stats.interactions.values()) == filled.interactions
