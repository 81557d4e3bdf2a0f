"""Presidio recognizers a team might have written, loaded by import path in the tests."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult


class EmployeeIdRecognizer(PatternRecognizer):
    """A weak pattern with context words, as Presidio's docs teach them."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="EMPLOYEE_ID",
            patterns=[Pattern("employee id", r"\bEMP-\d{6}\b", 0.3)],
            context=["employee", "staff"],
        )


# an instance works too: PatternRecognizers are often declared rather than subclassed
TICKET = PatternRecognizer(
    supported_entity="TICKET_ID", name="TicketRecognizer", patterns=[Pattern("ticket", r"\bTCK\d{5}\b", 0.8)]
)


class EverythingRecognizer(EntityRecognizer):
    """No patterns (the gate cannot judge it, so it runs on every text); claims the whole text."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["WHOLE_TEXT"])

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # type: ignore[no-untyped-def]
        return [RecognizerResult("WHOLE_TEXT", 0, len(text), 1.0)] if text else []


class NeedsArguments(PatternRecognizer):
    def __init__(self, country: str) -> None:
        super().__init__(supported_entity="X", patterns=[Pattern("x", country, 0.5)])


class NeedsNlpEngine(EverythingRecognizer):
    """Reads what Presidio's NLP engine would have produced, which privmap does not run."""

    def analyze(self, text, entities, nlp_artifacts=None):  # type: ignore[no-untyped-def]
        return [RecognizerResult("WHOLE_TEXT", 0, 1, nlp_artifacts.nlp_engine.score)]


class FailsOnDigits(EmployeeIdRecognizer):
    """Passes the load-time check, then raises on a real text (with the text in its message)."""

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # type: ignore[no-untyped-def]
        if any(c.isdigit() for c in text.replace("0", "")):
            raise ValueError(f"cannot read {text!r}")
        return []


NOT_A_RECOGNIZER = "just a string"
