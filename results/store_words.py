"""What the store says to a person in a reader's language, for the pages and the command line
alike: its refusals (problem and fix) and its ``Message`` sentences (closure blockers).

The store words its refusals in English (the API's JSON, the logs and an English station's
command line read them as written). Where ``results/store_locale`` holds a refusal's English
wording as a ``store_error.*`` template, the values are read back from the text (the reading the
procedures' sentences get, ``procedures.phrases.read_with``) and the sentence is written from the
other language's template; a value that names a record (``complaint 'CC-...'``) or an account
role is said by its label (``record.*``, ``account_role.*``). A missing record (``NotFound``) is
read the same way; a refused status change (``InvalidTransition``) is written from its parts,
its statuses by their labels and its reason through the ``transition_why.*`` templates. A
refusal no template fits is shown as the store wrote it, and so is the name of a record kind or
a reason the catalogue does not hold. The wording lives here, below both the service and the
bench, so a page and a command say one refusal in the same words.
"""

from __future__ import annotations

from functools import cache

from procedures.phrases import catalogue_file, read_with
from results.claims import SETTLE_REQUIREMENTS
from results.errors import InvalidTransition, NotFound, ResultsError, ValidationError
from results.messages import CODE_SEPARATOR, Message
from results.reports.labels import catalogue

PREFIX = "store_error."
ENGLISH = "en"
NAMED = ("what", "entity")
"""Template values that name a record: said through ``record.*``."""
ROLES = ("role", "needed")
"""Template values that are an account role: said through ``account_role.*``."""
STATUS_GROUPS = {"complaint": "status", "unit": "unit_status", "claim": "claim_status"}
"""The report catalogue's group of a record kind's status codes (others are shown as coded)."""
OF = " of "
CODED = {
    "closure.claim_open": {"status": "claim_status"},
    "closure.unit_open": {"status": "unit_status", "finals": "unit_status"},
    "transition_why.never_was": {"status": "unit_status"},
    "store_error.move_reason": {"status": "unit_status"},
    "store_error.keep_severe_safety": {"symptom": "symptom"},
    "store_error.not_major_by_rule": {"symptom": "symptom"},
    "store_error.complaint_locked": {"status": "status"},
    "store_error.edit_locked": {"status": "status"},
    "store_error.already_signed": {"meaning": "meaning"},
    "store_error.outgoing_exists": {"status": "report_status"},
}
"""Template values that are status codes (one or several, ``, ``-joined): said by their labels
in the report catalogue's group."""


@cache
def store_messages(locale: str) -> dict[str, str]:
    """The store's catalogue of ``locale`` (English for a language it has none of)."""
    return catalogue_file("results", "store_locale", locale)


@cache
def _templates(prefix: str = PREFIX) -> tuple[tuple[str, str], ...]:
    """(key, English template), the longest literal first so the most specific one wins."""
    english = store_messages(ENGLISH)
    keys = [k for k in english if k.startswith(prefix)]
    keys.sort(key=lambda k: len(english[k].replace("{", "").replace("}", "")), reverse=True)
    return tuple((k, english[k]) for k in keys)


@cache
def _record_kinds() -> tuple[tuple[str, str], ...]:
    """(English kind, key), the longest kind first (``major complaint`` before ``complaint``)."""
    english = store_messages(ENGLISH)
    kinds = [(v, k) for k, v in english.items() if k.startswith("record.") and k != "record.of"]
    return tuple(sorted(kinds, key=lambda kind: len(kind[0]), reverse=True))


def _one_record(text: str, locale: str) -> str:
    """``complaint 'CC-1'`` -> its kind's label and the same key; as given if no kind fits."""
    for kind, key in _record_kinds():
        if text == kind or text.startswith(kind + " "):
            return store_messages(locale)[key] + text[len(kind) :]
    return text


def record_text(text: str, locale: str) -> str:
    """A record's name as the store writes it (``claim 3 of complaint CC-1``), in ``locale``."""
    if locale == ENGLISH:
        return text
    thing, owner = text.split(OF, 1) if OF in text else (text, "")
    said = _one_record(thing, locale)
    if not owner:
        return said
    return store_messages(locale)["record.of"].format(owner=record_text(owner, locale), thing=said)


def _role_text(value: str, locale: str) -> str:
    code = value.strip("'")
    return store_messages(locale).get(f"account_role.{code}", value)


def _value_text(key: str, name: str, value: str, locale: str) -> str:
    if name in NAMED:
        return record_text(value, locale)
    if name in ROLES:
        return _role_text(value, locale)
    if key == "store_error.not_reconciled" and name == "items":  # the warnings, "; "-joined
        return _joined([warning_text(w, locale) for w in value.split("; ")], locale)
    if key == "transition_why.settle_missing" and name == "items":  # a claim's requirements
        return _requirements_text(value, locale)
    group = CODED.get(key, {}).get(name)
    if group is not None:
        joiner = "、" if locale == "zh_CN" else ", "
        labels = catalogue(locale)
        return joiner.join(labels.enum(group, code) for code in value.split(", "))
    return value


def _requirements_text(value: str, locale: str) -> str:
    """What a claim lacks before settling (``results.claims.settle_blockers``, ``, ``-joined) by
    the report catalogue's ``claim_missing.*`` labels; a text it does not name as written."""
    codes = {text: code for code, text in SETTLE_REQUIREMENTS.items()}
    labels = catalogue(locale)
    said = [labels.enum("claim_missing", codes[t]) if t in codes else t for t in value.split(", ")]
    return ("、" if locale == "zh_CN" else ", ").join(said)


def _read(text: str, locale: str, prefix: str) -> str | None:
    """``text`` through the first ``prefix`` template that reads it (``None``: none does)."""
    for key, template in _templates(prefix):
        values = read_with(template, text)
        if values is not None:
            shown = {name: _value_text(key, name, v, locale) for name, v in values.items()}
            return store_messages(locale)[key].format(**shown)
    return None


def _joined(parts: list[str], locale: str) -> str:
    return ("；" if locale == "zh_CN" else "; ").join(parts)


def warning_text(text: str, locale: str) -> str:
    """A return request's reconciliation warning (``results.returns``) in ``locale``; as
    stored if no ``return_warning.*`` template reads it."""
    if locale == ENGLISH:
        return text
    said = _read(text, locale, "return_warning.")
    return text if said is None else said


def store_error_text(text: str, locale: str) -> str:
    """``text`` (a refusal's ``problem; fix``) in ``locale``; as stored if no template fits."""
    if locale == ENGLISH:
        return text
    said = _read(text, locale, PREFIX)
    return text if said is None else said


def _reason_text(why: str, locale: str) -> str:
    """A refused change's reason: each ``; ``-separated part through the reason, closure and
    major-blocker templates; a part none reads stays as written."""
    parts = []
    for part in why.split("; "):
        for prefix in ("transition_why.", "closure.", "major_blocker."):
            said = _read(part, locale, prefix)
            if said is not None:
                parts.append(said)
                break
        else:
            parts.append(part)
    return _joined(parts, locale)


def _status_text(group: str | None, code: str, locale: str) -> str:
    return catalogue(locale).enum(group, code) if group else code


def transition_text(refused: InvalidTransition, locale: str) -> str:
    """A refused status change in ``locale`` (English: the exception's own text)."""
    if locale == ENGLISH:
        return str(refused)
    words = store_messages(locale)
    kind = refused.entity.split(OF, 1)[0].split(" ", 1)[0]
    group = STATUS_GROUPS.get(kind) if not refused.entity.startswith("major ") else None
    joiner = "、" if locale == "zh_CN" else ", "
    allowed = joiner.join(_status_text(group, code, locale) for code in refused.allowed)
    reason = refused.why
    return words["transition.refused"].format(
        entity=record_text(refused.entity, locale),
        current=_status_text(group, refused.current, locale),
        target=_status_text(group, refused.target, locale),
        reason=words["transition.reason"].format(why=_reason_text(reason, locale))
        if reason
        else "",
        allowed=allowed or words["transition.final"],
    )


def not_found_text(missing: NotFound, locale: str) -> str:
    """A record that does not exist, in ``locale`` (English: the exception's own text)."""
    if locale == ENGLISH:
        return str(missing)
    key = repr(missing.key)
    if missing.kind.endswith(OF.rstrip()):
        what = store_messages(locale)["record.of"].format(
            owner=key, thing=record_text(missing.kind.removesuffix(OF.rstrip()), locale)
        )
    else:
        what = f"{record_text(missing.kind, locale)} {key}"
    return store_messages(locale)["store_error.not_found"].format(what=what)


def field_text(field: str, locale: str) -> str:
    """The name a refusal puts before its colon: a store field by its label (``field.*``); an
    option (``--temperature``) and a field the catalogue does not hold as written."""
    if locale == ENGLISH:
        return field
    return store_messages(locale).get(f"field.{field}", field)


def refusal_text(refused: ResultsError, locale: str, *, field: str | None = None) -> str:
    """A whole refusal as one line (``field: problem; fix``) in ``locale``; ``field`` replaces
    a ``ValidationError``'s own field name (the command line names its option instead). The
    English line is the exception's own text with the field so replaced."""
    if isinstance(refused, InvalidTransition):
        return transition_text(refused, locale)
    if isinstance(refused, NotFound):
        return not_found_text(refused, locale)
    if not isinstance(refused, ValidationError):
        return store_error_text(str(refused), locale)
    said = store_error_text(f"{refused.problem}; {refused.fix}", locale)
    return f"{field_text(refused.field if field is None else field, locale)}: {said}"


def message_text(message: Message, locale: str) -> str:
    """A store message in ``locale``: its coded values (codes joined by ``CODE_SEPARATOR``
    included) shown by their labels, a nested message said the same way."""
    values = {
        name: message_text(value, locale) if isinstance(value, Message) else value
        for name, value in message.values.items()
    }
    joiner = "、" if locale == "zh_CN" else CODE_SEPARATOR
    labels = catalogue(locale)
    for name, group in message.codes.items():
        codes = str(values[name]).split(CODE_SEPARATOR)
        values[name] = joiner.join(labels.enum(group, code) for code in codes)
    text = store_messages(locale)[message.key]
    return text.format(**values) if values else text
