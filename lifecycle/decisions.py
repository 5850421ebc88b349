"""The product's decisions (D1-D16) in one line each, for messages that rest on one.

The decisions page of the documentation (``docs/decisions.md``) gives each its rule,
its reason and its sources. A message cites a decision with :func:`cite`, so that it
says the reason in words and stands alone: ``(decision D14: a person deleted on request
is not re-created)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lifecycle.errors import InvalidFieldError

DECISIONS: Mapping[str, str] = MappingProxyType(
    {
        "D1": "contacts generated for orphaned leads are marked marketing-only",
        "D2": "forms match contacts by email, and leads by email and page, as Dynamics does",
        "D3": "when several records match, the most recently modified wins and the rest are "
        "reported",
        "D4": "a merge keeps the master's values and closes the subordinate",
        "D5": "a reactivated lead goes back to Open / New",
        "D6": "only an Open lead with no opportunity can be disqualified",
        "D7": "inactive contacts and closed leads get no marketing, but still get manual, "
        "workflow and transactional email",
        "D8": "Email: Do Not Allow blocks every email",
        "D9": "Bulk Email: Do Not Allow blocks bulk email only",
        "D10": "Marketing Materials gates brochures and postal campaigns, never email",
        "D11": "consent levels are enforced only when the policy asks",
        "D12": "the consent level is the highest among active consents",
        "D13": "opt-outs and bounces suppress an address as Dynamics does",
        "D14": "a person deleted on request is not re-created",
        "D15": "an orphaned lead is linked to a matching contact, or gets a marketing-only one",
        "D16": "bucket accounts are replaced by real transitions",
    }
)
"""Each decision's id and its reason in a few words."""


def cite(decision: str) -> str:
    """``(decision <id>: <reason>)``, for the end of a message that rests on ``decision``."""
    reason = DECISIONS.get(decision)
    if reason is None:
        raise InvalidFieldError("decision", f"one of {', '.join(DECISIONS)}", decision)
    return f"(decision {decision}: {reason})"
