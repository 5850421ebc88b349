"""The DataFrame batch path decides exactly as the record path does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle import (
    Contact,
    InvalidFieldError,
    InvalidStatusError,
    Lead,
    LeadStatus,
    TransitionNotAllowed,
)
from lifecycle.batch import fire_frame
from lifecycle.definitions import LEAD_LIFECYCLE
from lifecycle.errors import FieldTypeError
from tests.strategies import case_id

AT = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)

LEAD_PAIRS = [(0, 1), (0, 2), (1, 3), (2, 4), (2, 5), (2, 6), (2, 7)]

lead_rows = st.lists(
    st.tuples(st.sampled_from(LEAD_PAIRS), st.sampled_from([None, "opp-1"]), st.booleans()),
    max_size=30,
)


def _frame(rows: list[tuple[tuple[int, int], str | None, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"lead-{i}" for i in range(len(rows))],
            "statecode": [pair[0] for pair, _, _ in rows],
            "statuscode": [pair[1] for pair, _, _ in rows],
            "qualifyingopportunityid": [opp for _, opp, _ in rows],
            "anonymized": [anon for _, _, anon in rows],
        }
    )


def _records(frame: pd.DataFrame) -> list[Lead]:
    return [
        Lead.from_codes(
            row.statecode,
            row.statuscode,
            id=row.id,
            qualifyingopportunityid=row.qualifyingopportunityid,
            anonymized=row.anonymized,
        )
        for row in frame.itertuples()
    ]


class TestFireFrame:
    """fire_frame over a DataFrame of leads."""

    @pytest.mark.parametrize(
        ("trigger", "params"),
        [
            ("disqualify", {}),
            ("disqualify", {"status_reason": LeadStatus.NO_LONGER_INTERESTED}),
            ("reactivate", {}),
            ("mark_contacted", {}),
            ("qualify", {}),
            ("delete", {}),
        ],
    )
    @given(rows=lead_rows)
    def test_same_decisions_as_records(self, trigger, params, rows):
        """Every row moves, or is refused with the same error, as its record would be."""
        frame = _frame(rows)
        records = _records(frame)
        expected = LEAD_LIFECYCLE.fire_many(records, trigger, at=AT, **params)
        result = fire_frame(frame, "lead", trigger, at=AT, **params)
        assert result.applied == expected.applied
        assert result.errors == expected.errors
        assert result.frame["statecode"].tolist() == [r.statecode for r in records]
        assert result.frame["statuscode"].tolist() == [r.statuscode for r in records]
        assert result.frame["error"].tolist() == [
            str(expected.errors[i]) if i in expected.errors else None for i in range(len(rows))
        ]

    def test_input_frame_unchanged(self):
        """The caller's frame is never modified."""
        frame = _frame([((0, 1), None, False), ((2, 4), None, False)])
        before = frame.copy()
        fire_frame(frame, "lead", "disqualify", at=AT)
        pd.testing.assert_frame_equal(frame, before)

    def test_modifiedon_set_on_moved_rows_only(self):
        """Moved rows get the transition time; refused rows keep theirs."""
        frame = _frame([((0, 1), None, False), ((0, 1), "opp-9", False)])
        result = fire_frame(frame, "lead", "disqualify", at=AT).frame
        assert result["modifiedon"][0] == AT
        assert pd.isna(result["modifiedon"][1])
        assert "opp-9" in result["error"][1]

    def test_missing_guard_column_uses_record_default(self):
        """Without a qualifyingopportunityid column, no lead has an opportunity."""
        frame = pd.DataFrame({"statecode": [0], "statuscode": [2]})
        result = fire_frame(frame, "lead", "disqualify", at=AT)
        assert result.frame["statuscode"].tolist() == [LeadStatus.LOST.code]

    def test_contacts(self):
        """Contacts deactivate on a frame like records do."""
        frame = pd.DataFrame({"statecode": [0, 1], "statuscode": [1, 2]})
        contacts = [Contact.from_codes(0, 1), Contact.from_codes(1, 2)]
        result = fire_frame(frame, "contact", "deactivate", at=AT)
        expected = Contact._lifecycle.fire_many(contacts, "deactivate", at=AT)
        assert result.errors.keys() == expected.errors.keys()
        assert result.frame["statecode"].tolist() == [1, 1]

    @pytest.mark.parametrize(
        ("frame", "record_type", "trigger", "params", "error"),
        [
            (
                pd.DataFrame({"statecode": [0], "statuscode": [5]}),
                "lead",
                "delete",
                {},
                InvalidStatusError,
            ),
            (
                pd.DataFrame({"statecode": ["x"], "statuscode": [1]}),
                "lead",
                "delete",
                {},
                InvalidStatusError,
            ),
            (pd.DataFrame({"statuscode": [1]}), "lead", "delete", {}, InvalidFieldError),
            (
                pd.DataFrame({"statecode": [0], "statuscode": [1]}),
                "opportunity",
                "delete",
                {},
                InvalidFieldError,
            ),
            (
                pd.DataFrame({"statecode": [0], "statuscode": [1]}),
                "lead",
                "anonymize",
                {},
                InvalidFieldError,
            ),
            (
                pd.DataFrame({"statecode": [0], "statuscode": [1]}),
                "lead",
                "qualify",
                {"create_opportunity": True},
                InvalidFieldError,
            ),
            (
                pd.DataFrame({"statecode": [0], "statuscode": [1]}),
                "lead",
                "disqualify",
                {"status_reason": LeadStatus.NEW},
                InvalidStatusError,
            ),
        ],
    )
    def test_bad_input_raises_typed_error(self, frame, record_type, trigger, params, error):
        """Invalid code pairs, missing columns, unknown types and effectful triggers raise."""
        before = frame.copy()
        with pytest.raises(error):
            fire_frame(frame, record_type, trigger, at=AT, **params)
        pd.testing.assert_frame_equal(frame, before)


_LATER = AT + dt.timedelta(days=1)
_EARLIER = AT - dt.timedelta(days=1)
_PLUS_5 = dt.timezone(dt.timedelta(hours=5))


class TestFireFrameInput:
    """fire_frame refuses bad input with typed errors and leaves the frame as it was."""

    @pytest.mark.parametrize(
        ("frame", "record_type", "error"),
        [
            (None, "lead", FieldTypeError),
            ({"statecode": [0], "statuscode": [1]}, "lead", FieldTypeError),
            ([(0, 1)], "lead", FieldTypeError),
            (pd.DataFrame({"statecode": [0], "statuscode": [1]}), ["lead"], FieldTypeError),
            (pd.DataFrame({"statecode": [0], "statuscode": [1]}), None, FieldTypeError),
            (pd.DataFrame({"statecode": [0], "statuscode": [1]}), "Lead", InvalidFieldError),
        ],
        ids=case_id,
    )
    def test_not_a_frame_or_record_type(self, frame: Any, record_type: Any, error: type) -> None:
        """A frame that is not a DataFrame, or a record type that is not a known name, is typed."""
        with pytest.raises(error):
            fire_frame(frame, record_type, "delete", at=AT)

    @pytest.mark.parametrize(
        ("statecodes", "statuscodes", "match"),
        [
            ([0.5], [1], r"^row 0: 'statecode' must be an integer code \(got 0\.5\)"),
            ([0, 0.5], [1, 1], r"^row 1: 'statecode' must be an integer code"),
            ([0, True], [1, 1], r"^row 1: 'statecode' must be an integer code \(got True\)"),
            (["0"], [1], r"^row 0: 'statecode' must be an integer code"),
            ([None], [1], r"^row 0: 'statecode' must be an integer code"),
            ([0], [1.5], r"^row 0: 'statuscode' must be an integer code \(got 1\.5\)"),
            ([0], [False], r"^row 0: 'statuscode' must be an integer code"),
            ([1], [1], r"^row 0: 'statuscode' must be a status of statecode 1 \(Qualified\)"),
        ],
        ids=case_id,
    )
    def test_non_integral_codes(self, statecodes: list, statuscodes: list, match: str) -> None:
        """A non-integer code (0.5, True, "0") raises InvalidStatusError naming the row."""
        frame = pd.DataFrame({"statecode": statecodes, "statuscode": statuscodes}, dtype=object)
        before = frame.copy()
        with pytest.raises(InvalidStatusError, match=match):
            fire_frame(frame, "lead", "delete", at=AT)
        pd.testing.assert_frame_equal(frame, before)

    def test_integral_floats_and_missing_statuscodes(self) -> None:
        """Integral floats are codes; any missing statuscode is the state's default."""
        frame = pd.DataFrame(
            {
                "statecode": [0.0, 2.0, 0],
                "statuscode": pd.array([np.nan, 4.0, None], dtype="Float64"),
            }
        )
        result = fire_frame(frame, "lead", "reactivate", at=AT)
        assert result.applied == 1
        assert result.frame["statecode"].tolist() == [0, 0, 0]
        assert result.frame["statuscode"].tolist()[1] == LeadStatus.NEW.code

    @pytest.mark.parametrize(
        ("modifiedon", "error"),
        [
            ([dt.datetime(2026, 1, 1)], InvalidFieldError),
            (pd.Series([dt.datetime(2026, 1, 1)]), InvalidFieldError),
            (["yesterday"], FieldTypeError),
            ([1_700_000_000], FieldTypeError),
        ],
        ids=case_id,
    )
    def test_bad_modifiedon(self, modifiedon: Any, error: type) -> None:
        """A modifiedon that is not aware datetimes or missing values is refused up front."""
        frame = pd.DataFrame({"statecode": [0], "statuscode": [1], "modifiedon": modifiedon})
        before = frame.copy()
        with pytest.raises(error, match=r"^'modifiedon' must be timezone-aware datetimes"):
            fire_frame(frame, "lead", "mark_contacted", at=AT)
        pd.testing.assert_frame_equal(frame, before)


class TestModifiedOn:
    """A moved row's modifiedon is the later of its own and the transition time, as on records."""

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (None, AT),
            (pd.NaT, AT),
            (float("nan"), AT),
            (_EARLIER, AT),
            (AT, AT),
            (_LATER, _LATER),
            (_LATER.astimezone(_PLUS_5), _LATER),
            (_EARLIER.astimezone(_PLUS_5), AT),
            (pd.Timestamp(AT) + pd.Timedelta(nanoseconds=1), pd.Timestamp(AT) + pd.Timedelta(1)),
        ],
        ids=case_id,
    )
    def test_object_column(self, before: Any, after: Any) -> None:
        """Missing and earlier values move to the event time; later ones (any timezone) stay."""
        frame = pd.DataFrame({"statecode": [0], "statuscode": [1]})
        frame["modifiedon"] = pd.Series([before], dtype=object)
        result = fire_frame(frame, "lead", "mark_contacted", at=AT)
        assert result.frame["modifiedon"].iloc[0] == after

    @pytest.mark.parametrize("unit", ["s", "us", "ns"])
    def test_datetime_column(self, unit: str) -> None:
        """A tz-aware datetime64 column: later kept, earlier and NaT replaced, refused rows kept."""
        frame = pd.DataFrame(
            {
                "statecode": [0, 0, 0, 2],
                "statuscode": [1, 1, 1, 4],
                "modifiedon": pd.Series(
                    [_LATER, _EARLIER, pd.NaT, _EARLIER], dtype=f"datetime64[{unit}, UTC]"
                ),
            }
        )
        result = fire_frame(frame, "lead", "mark_contacted", at=AT)
        assert result.applied == 3
        assert result.frame["modifiedon"].tolist() == [_LATER, AT, AT, _EARLIER]

    def test_same_as_the_record_path(self) -> None:
        """The frame's modifiedon matches the records' after the same trigger."""
        leads = [Lead(id="a"), Lead(id="b")]
        leads[0].update(firstname="Ada", at=_LATER)
        leads[1].update(firstname="Bo", at=_EARLIER)
        frame = pd.DataFrame(
            {
                "id": [lead.id for lead in leads],
                "statecode": [lead.statecode for lead in leads],
                "statuscode": [lead.statuscode for lead in leads],
                "modifiedon": [lead.modifiedon for lead in leads],
            }
        )
        result = fire_frame(frame, "lead", "mark_contacted", at=AT)
        LEAD_LIFECYCLE.fire_many(leads, "mark_contacted", at=AT)
        assert result.frame["modifiedon"].tolist() == [lead.modifiedon for lead in leads]


class TestPrepared:
    """Lifecycle.prepare checks now and applies on commit, once."""

    def test_prepare_changes_nothing_until_commit(self):
        """A prepared transition leaves the record as it was until it is committed."""
        lead = Lead(id="lead-p")
        prepared = LEAD_LIFECYCLE.prepare(lead, "disqualify", at=AT)
        assert lead.statuscode == 1
        assert lead.history == ()
        prepared.commit()
        assert lead.statuscode == LeadStatus.LOST.code

    def test_second_commit_refused(self):
        """Committing twice would apply the change twice: the second commit is refused."""
        lead = Lead(id="lead-q")
        prepared = LEAD_LIFECYCLE.prepare(lead, "mark_contacted", at=AT)
        prepared.commit()
        with pytest.raises(TransitionNotAllowed, match="already committed"):
            prepared.commit()
        assert len(lead.history) == 1
