"""Errors of the reporting layer, all under ``results.errors.ResultsError``.

The bench service maps each to an HTTP answer; each message says what to do, because the person
who reads it is a QA engineer at a form, not the author of this code.
"""

from __future__ import annotations

from results.errors import ResultsError


class ReportError(ResultsError):
    """Base of every error raised on purpose by ``results.reports``."""


class UnknownLocaleError(ReportError, LookupError):
    def __init__(self, locale: str, available: tuple[str, ...]) -> None:
        self.locale = locale
        super().__init__(
            f"report language {locale!r} has no message catalogue; use one of "
            f"{', '.join(available)} or add results/reports/locale/{locale}.json"
        )


class MissingLabelError(ReportError, KeyError):
    def __init__(self, key: str, locale: str) -> None:
        self.key = key
        super().__init__(
            f"label {key!r} is missing from the {locale} catalogue; add it to "
            f"results/reports/locale/{locale}.json (every catalogue carries the same keys)"
        )


class FontError(ReportError):
    """The PDF cannot embed a font covering the report's text."""


class ApprovalError(ReportError):
    """A signature the rules forbid (author approving, signing twice, unknown meaning)."""


class ImmutableReportError(ReportError):
    """A change to an approved report; approved versions change only through an amendment."""

    def __init__(self, report_no: str, version: int) -> None:
        self.report_no = report_no
        self.version = version
        super().__init__(
            f"report {report_no} version {version} is approved and cannot change; "
            f"create an amendment (results.reports.approval.amend) with the reason for the change"
        )


class EvidenceError(ReportError):
    """A conclusion or 8D cause cites a measurement or run the report does not contain."""
