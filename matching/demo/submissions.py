"""The demo's third act: web-form submissions landing in the store.

After the store tour, a few realistic submissions go through one
:class:`~matching.SubmissionHandler` with Dynamics' default strategies (contact by
email; lead by email and marketing page, D2): a new person, the same person again
with a new job title, the same person from another page (a second lead), someone
whose only lead was disqualified (a new lead, and the outcome says why), the
address of a deleted lead (blocked, D14) and a malformed post (rejected, nothing
written). Each is shown as one readable line; record ids are replaced by names so
the output is the same on every run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import attrs

from lifecycle import Contact, Lead
from lifecycle.eligibility import consent_level_at
from matching.errors import SubmissionRejected
from matching.handler import SubmissionHandler
from matching.store import Store
from matching.submissions import (
    ContactAction,
    LeadAction,
    SubmissionOutcome,
)

CE_PAGE = "page-ce-courses"
WEBINAR_PAGE = "page-infection-webinar"
MAYA = "maya.chen@northwind.example"

KNOWN = {"lead-bea": "(Bea Kim)"}
"""Names the story's records get in this act, where the story's own would be ambiguous."""


@attrs.frozen
class DemoSubmission:
    """One form post of the demo: who sent it, what the demo says about it, and the data."""

    person: str
    source: str
    """The page or form it came from, in words."""
    told: str
    data: Mapping[str, Any]


SUBMISSIONS: tuple[DemoSubmission, ...] = (
    DemoSubmission(
        "Maya Chen",
        "CE courses page",
        "new person signs up for a CE course (consent: Marketing)",
        {
            "firstname": "Maya",
            "lastname": "Chen",
            "emailaddress1": MAYA,
            "jobtitle": "Dental hygienist",
            "companyname": "Northwind Dental",
            "msdyncrm_marketingformid": "form-course-signup",
            "msdyncrm_marketingpageid": CE_PAGE,
            "consent_level": 4,
            "course": "Radiography refresher",
        },
    ),
    DemoSubmission(
        "Maya Chen",
        "CE courses page",
        "same person, same page, new job title 'Clinic manager'",
        {
            "firstname": "Maya",
            "lastname": "Chen",
            "emailaddress1": " Maya.Chen@Northwind.example ",
            "jobtitle": "Clinic manager",
            "msdyncrm_marketingformid": "form-course-signup",
            "msdyncrm_marketingpageid": CE_PAGE,
        },
    ),
    DemoSubmission(
        "Maya Chen",
        "webinar page",
        "same person registers on another page",
        {
            "firstname": "Maya",
            "lastname": "Chen",
            "emailaddress1": MAYA,
            "msdyncrm_marketingformid": "form-webinar",
            "msdyncrm_marketingpageid": WEBINAR_PAGE,
        },
    ),
    DemoSubmission(
        "Bea Kim",
        "call-back form",
        "Bea Kim (lead disqualified: Cannot Contact) asks for a call back",
        {
            "firstname": "Bea",
            "lastname": "Kim",
            "emailaddress1": "bea.kim@example.net",
            "telephone1": "+1 555 0199",
            "msdyncrm_marketingformid": "form-call-back",
        },
    ),
    DemoSubmission(
        "Tom Baker",
        "CE courses page",
        "Tom Baker, whose lead was deleted, signs up again",
        {
            "firstname": "Tom",
            "lastname": "Baker",
            "emailaddress1": "Tom.Baker@example.org",
            "msdyncrm_marketingformid": "form-course-signup",
            "msdyncrm_marketingpageid": CE_PAGE,
        },
    ),
    DemoSubmission(
        "a bot",
        "CE courses page",
        "a bot posts junk to the course form",
        {
            "firstname": "Sam",
            "emailaddress1": "sam@@fabrikam",
            "consent_level": "yes",
            "msdyncrm_marketingpageid": CE_PAGE,
        },
    ),
)
"""The demo's form posts, in the order they arrive."""


@attrs.frozen
class Landing:
    """What one submission did, in words."""

    person: str
    told: str
    outcome: str
    codes: tuple[str, ...] = ()
    rejected: bool = False


@attrs.frozen
class SubmissionTour:
    """Every landing, and what the store says about the people afterwards."""

    contact_strategy: str
    lead_strategy: str
    landings: tuple[Landing, ...]
    afterwards: tuple[str, ...]


class _Names:
    """Record ids to display names; text with ids made readable."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def __call__(self, record_id: str | None) -> str:
        if record_id is None:
            return ""
        return self.names.get(record_id, record_id)

    def readable(self, text: str) -> str:
        pattern = "|".join(re.escape(i) for i in sorted(self.names, key=len, reverse=True))
        return re.sub(pattern, lambda m: self.names[m.group(0)], text) if pattern else text


def _name_new_records(
    outcome: SubmissionOutcome, submission: DemoSubmission, names: _Names
) -> None:
    if outcome.contact_action is ContactAction.CREATED and outcome.contact_id:
        names.names[outcome.contact_id] = submission.person
    if outcome.lead_action is LeadAction.CREATED and outcome.lead_id:
        names.names[outcome.lead_id] = f"{submission.person}'s {submission.source} lead"


def describe(outcome: SubmissionOutcome, name: Any) -> str:
    """``outcome`` as one sentence; ``name(record_id)`` gives each record's display name."""
    parts: list[str] = []
    contact, lead = name(outcome.contact_id), name(outcome.lead_id)
    match outcome.contact_action:
        case ContactAction.CREATED:
            parts.append(f"created contact {contact}")
        case ContactAction.UPDATED:
            via = outcome.contact_match.strategy if outcome.contact_match else "a claim"
            parts.append(f"matched contact {contact} ({via}) and updated it")
        case ContactAction.MATCHED_CLOSED:
            parts.append(f"matched inactive contact {contact}: linked, not edited")
    match outcome.lead_action:
        case LeadAction.CREATED:
            linked = f", linked to {contact}" if outcome.contact_id else ""
            parts.append(f"created {lead}{linked}")
        case LeadAction.UPDATED:
            child = (
                " (found among the contact's leads)"
                if outcome.lead_match and outcome.lead_match.via == "child-lead"
                else ""
            )
            parts.append(f"updated {lead}{child}")
        case LeadAction.BLOCKED:
            if outcome.contact_id:
                parts.append("no lead")
    if outcome.duplicates:
        listed = ", ".join(name(d.record_id) for d in outcome.duplicates)
        parts.append(f"probable duplicates reported: {listed}")
    text = "; ".join(parts) or "blocked"
    for warning in outcome.warnings:
        text += f". {warning.code}: {warning.text}"
    return text


def tour_submissions(store: Store, names: Mapping[str, str], at: dt.datetime) -> SubmissionTour:
    """Hand :data:`SUBMISSIONS` to a :class:`SubmissionHandler` on ``store``, an hour apart
    from ``at``, and say what each did."""
    handler = SubmissionHandler(store)
    known = _Names({**names, **KNOWN})
    landings: list[Landing] = []
    contacts: dict[str, str] = {}
    for index, submission in enumerate(SUBMISSIONS):
        when = at + dt.timedelta(hours=index)
        try:
            outcome = handler.submit(submission.data, at=when)
        except SubmissionRejected as err:
            reasons = "; ".join(f"{p.path}: {p.reason.rstrip('.')}" for p in err.problems)
            landings.append(
                Landing(
                    submission.person,
                    submission.told,
                    f"rejected, nothing written: {reasons}",
                    rejected=True,
                )
            )
            continue
        _name_new_records(outcome, submission, known)
        if outcome.contact_id:
            contacts[submission.person] = outcome.contact_id
        landings.append(
            Landing(
                submission.person,
                submission.told,
                known.readable(describe(outcome, known)),
                outcome.codes,
            )
        )

    afterwards: list[str] = []
    maya_id = contacts.get("Maya Chen")
    if maya_id is not None:
        maya = store.get(Contact, maya_id)
        leads = [lead for lead in store.find(Lead, "emailaddress1", MAYA) if lead.is_active]
        kept = len(store.interactions(contactid=maya_id))
        level = consent_level_at(maya, at + dt.timedelta(hours=len(SUBMISSIONS)))
        afterwards.append(
            f"Maya Chen: job title {maya.jobtitle!r}, consent {level.name.title()} ({int(level)}), "
            f"{len(leads)} open leads (one per page), {kept} interactions kept "
            "(one per submission)."
        )
    bea = store.get(Lead, "lead-bea")
    afterwards.append(
        f"Bea Kim's old lead is still {bea.state.label} ({bea.status.label}): "
        "closed records are matched, never edited silently."
    )
    return SubmissionTour(
        handler.contact_strategy.name,
        handler.lead_strategy.name,
        tuple(landings),
        tuple(afterwards),
    )
