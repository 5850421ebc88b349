"""What ``leadflow submit`` keeps of a replay: the tally its summary reads, and the
``--outcomes`` file, one line per submission with who it was and what happened to it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matching.cli.common import FILE_FORMATS, cannot_write, shown

if TYPE_CHECKING:
    from matching.handler import SubmissionHandler
    from matching.submissions import MatchInfo, SubmissionOutcome

SHOWN_SUBMIT_REJECTIONS = 20
"""Rejected lines ``submit`` lists; ``--outcomes FILE`` has them all."""

INPUT_COLUMNS = ("submittedon", "emailaddress1", "firstname", "lastname")
"""The input's identifying fields an outcome repeats, so that it reads without joining it
back to the file by line number."""

OUTCOME_COLUMNS = (
    "line",
    *INPUT_COLUMNS,
    "status",
    "contact_action",
    "lead_action",
    "contact_id",
    "lead_id",
    "interaction_id",
    "contact_match",
    "lead_match",
    "duplicates",
    "warnings",
    "payload_only",
    "rejections",
)
"""The columns of a ``--outcomes`` CSV file (and the keys of a JSON Lines one)."""


class Rejection:
    """One refused field of one line."""

    __slots__ = ("field", "line", "reason")

    def __init__(self, line: int, field: str, reason: str) -> None:
        self.line, self.field, self.reason = line, field, reason

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


class Tally:
    """What a replay did, counted as it goes; the first rejections kept for the summary."""

    def __init__(self, file: Path, store: str, handler: SubmissionHandler) -> None:
        from collections import Counter

        from matching.submissions import ContactAction, LeadAction

        self.file = shown(file, reading=True)
        self.store = store
        self.mode = handler.policy.mode.value
        self.strategies = (handler.contact_strategy.name, handler.lead_strategy.name)
        self.lines = self.handled = self.rejected = 0
        self.linked = self.duplicates = self.interactions = 0
        self.contacts: Counter[str] = Counter({a.value: 0 for a in ContactAction})
        self.leads: Counter[str] = Counter({a.value: 0 for a in LeadAction})
        self.warnings: Counter[str] = Counter()
        self.rejected_fields: Counter[str] = Counter()
        self.payload_only: Counter[str] = Counter()
        self.shown: list[Rejection] = []

    def handle(self, outcome: SubmissionOutcome) -> None:
        self.handled += 1
        self.contacts[outcome.contact_action.value] += 1
        self.leads[outcome.lead_action.value] += 1
        self.linked += outcome.contact_id is not None and outcome.lead_id is not None
        self.duplicates += len(outcome.duplicates)
        self.interactions += outcome.interaction_id is not None
        self.warnings.update(outcome.codes)
        self.payload_only.update(outcome.payload_only)

    def reject(self, problems: list[Rejection]) -> None:
        self.rejected += 1
        self.rejected_fields.update(p.field for p in problems)
        if self.rejected <= SHOWN_SUBMIT_REJECTIONS:
            self.shown.extend(problems)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values (``--json``)."""
        return {
            "file": self.file,
            "store": self.store,
            "mode": self.mode,
            "contact_strategy": self.strategies[0],
            "lead_strategy": self.strategies[1],
            "lines": self.lines,
            "handled": self.handled,
            "rejected": self.rejected,
            "contacts": dict(self.contacts),
            "leads": dict(self.leads),
            "linked": self.linked,
            "probable_duplicates": self.duplicates,
            "interactions": self.interactions,
            "warnings": dict(sorted(self.warnings.items())),
            "rejected_fields": dict(sorted(self.rejected_fields.items())),
            "payload_only": dict(sorted(self.payload_only.items())),
            "rejections": [r.to_dict() for r in self.shown],
        }


def _match_text(match: MatchInfo | None) -> str:
    """A :class:`~matching.MatchInfo` in a few words: ``contact-fuzzy (lookup, score 0.83)``."""
    if match is None:
        return ""
    score = "" if match.score is None else f", score {match.score:.3f}"
    return f"{match.strategy} ({match.via}{score})"


def _match_dict(match: MatchInfo | None) -> dict[str, Any] | None:
    if match is None:
        return None
    return {
        "strategy": match.strategy,
        "fields": list(match.fields),
        "via": match.via,
        "score": match.score,
        "similarities": dict(match.similarities),
    }


class OutcomeSink:
    """Writes one line per submission to ``--outcomes`` (CSV or JSON Lines), as it goes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: Any = None
        self._csv: Any = None

    def __enter__(self) -> OutcomeSink:
        import csv

        if self.path is None:
            return self
        with cannot_write(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8", newline="")
        if FILE_FORMATS[self.path.suffix.lower()] == "csv":
            self._csv = csv.writer(self._file)
            self._csv.writerow(OUTCOME_COLUMNS)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def write(
        self,
        line: int,
        data: object,
        outcome: SubmissionOutcome | None = None,
        problems: Sequence[Rejection] = (),
    ) -> None:
        if self._file is None:
            return
        given = _input_values(data)
        if self._csv is not None:
            row = self._csv_row(line, outcome, problems)
            self._csv.writerow((row[0], *(given[c] or "" for c in INPUT_COLUMNS), *row[1:]))
        else:
            import json

            record = {"line": line, **given, **self._json_row(outcome, problems)}
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")

    @staticmethod
    def _csv_row(
        line: int, outcome: SubmissionOutcome | None, problems: Sequence[Rejection]
    ) -> tuple[object, ...]:
        if outcome is None:
            reasons = "; ".join(f"{p.field}: {p.reason.rstrip('.')}" for p in problems)
            return (line, "rejected", "", "", "", "", "", "", "", "", "", "", reasons)
        return (
            line,
            "handled",
            outcome.contact_action.value,
            outcome.lead_action.value,
            outcome.contact_id or "",
            outcome.lead_id or "",
            outcome.interaction_id or "",
            _match_text(outcome.contact_match),
            _match_text(outcome.lead_match),
            ";".join(f"{d.record_type}:{d.record_id}" for d in outcome.duplicates),
            ";".join(outcome.codes),
            ";".join(outcome.payload_only),
            "",
        )

    @staticmethod
    def _json_row(
        outcome: SubmissionOutcome | None, problems: Sequence[Rejection]
    ) -> dict[str, Any]:
        if outcome is None:
            empty: dict[str, Any] = dict.fromkeys(OUTCOME_COLUMNS[2 + len(INPUT_COLUMNS) : -4])
            rejections = [{"field": p.field, "reason": p.reason} for p in problems]
            return {
                "status": "rejected",
                **empty,
                "duplicates": [],
                "warnings": [],
                "payload_only": [],
                "rejections": rejections,
            }
        return {
            "status": "handled",
            "contact_action": outcome.contact_action.value,
            "lead_action": outcome.lead_action.value,
            "contact_id": outcome.contact_id,
            "lead_id": outcome.lead_id,
            "interaction_id": outcome.interaction_id,
            "contact_match": _match_dict(outcome.contact_match),
            "lead_match": _match_dict(outcome.lead_match),
            "duplicates": [
                {
                    "record_type": d.record_type,
                    "record_id": d.record_id,
                    "modifiedon": None if d.modifiedon is None else d.modifiedon.isoformat(),
                }
                for d in outcome.duplicates
            ],
            "warnings": [{"code": w.code, "text": w.text} for w in outcome.warnings],
            "payload_only": list(outcome.payload_only),
            "rejections": [],
        }


def _input_values(data: object) -> dict[str, str | None]:
    """The input's identifying fields (:data:`INPUT_COLUMNS`) as text, ``None`` where the
    line has none (or is not a JSON object)."""
    given = data if isinstance(data, dict) else {}
    values: dict[str, str | None] = {}
    for column in INPUT_COLUMNS:
        value = given.get(column)
        values[column] = None if value is None else str(value)
    return values
