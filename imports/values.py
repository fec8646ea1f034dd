"""Reading one cell of an import row: each reader returns the value and reports what is wrong
with it to the row's errors (naming the column), so that one pass lists every problem.

Every coded column takes the code or the label Footprint shows (``stage-1`` or ``Stage 1``,
``CLA`` or ``Looked-after child``), in any case, with spaces, hyphens and underscores alike;
dates are ``YYYY-MM-DD`` or ``DD/MM/YYYY`` and must be whole and plausible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Protocol

from children.models import CaseType
from people.models import Team

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
#: A date with its day (or day and month) left out: "2024-05", "05/2024", "2024".
_PARTIAL_DATE = re.compile(r"\d{4}(-\d{1,2})?|(\d{1,2}/)?\d{4}|/\d{1,2}/\d{4}|-\d{1,2}-\d{4}")
#: The earliest date any imported record can bear unless its kind says otherwise.
EARLIEST = date(2000, 1, 1)
DATE_FORMS = "YYYY-MM-DD or DD/MM/YYYY"


class Errors(Protocol):
    def add(self, column: str, message: str) -> None: ...


def key(value: str) -> str:
    """How a code or label is compared: any case, ``-``, ``_`` and runs of spaces alike."""
    return " ".join(value.replace("-", " ").replace("_", " ").casefold().split())


def parse_date(value: str) -> date | None:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY`` (one-digit days and months too), or None."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # the usual form, read in C
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _UK_DATE.fullmatch(value)
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_value(value: str, column: str, errors: Errors, *, required: bool, on: date,
               earliest: date = EARLIEST) -> date | None:
    """A whole date (``YYYY-MM-DD`` or ``DD/MM/YYYY``), between ``earliest`` and ``on`` (today:
    historical records happened already)."""
    if not value:
        if required:
            errors.add(column, f"Enter a date ({DATE_FORMS}).")
        return None
    day = parse_date(value)
    if day is None:
        if _PARTIAL_DATE.fullmatch(value):
            errors.add(column, f"“{value}” must include a day, a month and a year ({DATE_FORMS}).")
        else:
            errors.add(column, f"“{value}” is not a real date in the form {DATE_FORMS}.")
        return None
    if day > on:
        errors.add(column, "The date must be today or in the past.")
        return None
    if day < earliest:
        errors.add(column, f"The date must be on or after {earliest:%-d %B %Y}.")
        return None
    return day


def list_value(value: str) -> list[str]:
    """Several values in one cell, separated by ``;`` (blanks and repeats dropped)."""
    parts = [part.strip() for part in value.split(";")]
    return list(dict.fromkeys(part for part in parts if part))


def text(value: str, column: str, errors: Errors, limit: int | None, *, required: bool) -> str:
    if required and not value:
        errors.add(column, "This column is required.")
    elif limit and len(value) > limit:
        errors.add(column, f"Use {limit} characters or fewer.")
    return value


def reference(value: str, errors: Errors) -> str:
    return text(value, "reference", errors, 40, required=True)


class Choices:
    """The values a coded column takes, each read by its code or its label (``key``).

    ``options`` are (code, label, value): ``value`` is what the reader returns (a code, or a
    record). ``also`` adds other spellings people use (``Looked after`` for ``CLA``)."""

    def __init__(self, column: str, options: Iterable[tuple[str, str, object]], *,
                 also: dict[str, str] | None = None, missing: str = "", noun: str = ""):
        self.column = column
        self.noun = noun or column.replace("_", " ")
        self.missing = missing or "Enter a value."
        options = list(options)
        self.options = [(code, label) for code, label, _ in options]
        self.by_key: dict[str, object] = {}
        for code, label, value in options:
            self.by_key.setdefault(key(code), value)
            self.by_key.setdefault(key(label), value)
        for spelling, code in (also or {}).items():
            self.by_key.setdefault(key(spelling), self.by_key[key(code)])

    def allowed(self) -> list[str]:
        """What the upload page and the messages list: "code (label)", or the label alone."""
        return [code if key(code) == key(label) else f"{code} ({label})" for code, label in self.options]

    def read(self, value: str, errors: Errors, *, required: bool = False, column: str | None = None):
        column = column or self.column
        if not value:
            if required:
                errors.add(column, self.missing)
            return None
        found = self.by_key.get(key(value), _NOTHING)
        if found is _NOTHING:
            errors.add(column, f"“{value}” is not {article(self.noun)}: use {or_list(self.allowed())}.")
            return None
        return found


_NOTHING = object()


def article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def or_list(items: list[str]) -> str:
    """"a, b or c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}" if items else "nothing"


def case_types() -> Choices:
    return Choices("case_type", [(code, label, code) for code, label in CaseType.choices],
                   also={"child protection": CaseType.CP, "looked after": CaseType.CLA},
                   missing="Enter the case type: CP (child protection) or CLA (looked after).")


CASE_TYPES = case_types()


def case_type(value: str, errors: Errors) -> str:
    return CASE_TYPES.read(value, errors, required=True) or ""


def child_references(value: str, errors: Errors, column: str = "child_references") -> list[str]:
    refs = list_value(value)
    if not refs:
        errors.add(column, "Enter at least one child reference (separate several with ;).")
    for ref in refs:
        if len(ref) > 40:
            errors.add(column, f"Child reference “{ref[:40]}…” is longer than 40 characters.")
    return refs


YES_NO = Choices("yes_no", [("yes", "Yes", True), ("no", "No", False)],
                 also={"y": "yes", "true": "yes", "n": "no", "false": "no"})


def yes_no(value: str, column: str, errors: Errors, *, blank_means: str) -> bool | None:
    """``yes``/``no`` (any case; ``y``/``n``, ``true``/``false`` too), or empty (``blank_means``
    says what empty stands for, for the message)."""
    if not value:
        return None
    found = YES_NO.by_key.get(key(value))
    if found is None:
        errors.add(column, f"“{value}” is not yes or no (leave it empty {blank_means}).")
    return found


def records(column: str, queryset, *, code: str = "slug", label: str = "name", **options) -> Choices:
    """A table's rows read by slug or name (read once per import)."""
    return Choices(column, [(getattr(item, code), getattr(item, label), item) for item in queryset], **options)


class Teams(Choices):
    """The authority's teams, by name or slug, read once per import."""

    def __init__(self, column: str = "team"):
        items = list(Team.objects.order_by("name"))
        super().__init__(column, [(team.slug, team.name, team) for team in items])

    def read(self, value: str, errors: Errors, column: str | None = None, **options):
        return super().read(value, errors, column=column, **options)


class Vocabulary(Choices):
    """A small table (lado's sectors, settings ...) read by slug or name, once per import."""

    def __init__(self, column: str, model):
        super().__init__(column, [(item.slug, item.name, item) for item in model.objects.all()])
