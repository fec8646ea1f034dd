"""Reading one cell of an import row: each reader returns the value and reports what is wrong
with it to the row's errors (naming the column), so that one pass lists every problem."""

from __future__ import annotations

import re
from datetime import date
from typing import Protocol

from children.models import CaseType
from people.models import Team

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Errors(Protocol):
    def add(self, column: str, message: str) -> None: ...


def date_value(value: str, column: str, errors: Errors, *, required: bool, on: date) -> date | None:
    """A YYYY-MM-DD date, today or earlier (historical records happened already)."""
    if not value:
        if required:
            errors.add(column, "Enter a date (YYYY-MM-DD).")
        return None
    try:
        day = date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        errors.add(column, f"“{value}” is not a date in the form YYYY-MM-DD.")
        return None
    if day > on:
        errors.add(column, "The date must be today or in the past.")
        return None
    return day


def list_value(value: str) -> list[str]:
    """Several values in one cell, separated by ``;`` (blanks and repeats dropped)."""
    return list(dict.fromkeys(part.strip() for part in value.split(";") if part.strip()))


def text(value: str, column: str, errors: Errors, limit: int | None, *, required: bool) -> str:
    if required and not value:
        errors.add(column, "This column is required.")
    elif limit and len(value) > limit:
        errors.add(column, f"Use {limit} characters or fewer.")
    return value


def reference(value: str, errors: Errors) -> str:
    return text(value, "reference", errors, 40, required=True)


def case_type(value: str, errors: Errors) -> str:
    if value not in CaseType.values:
        errors.add("case_type", "Enter CP (child protection) or CLA (looked after)." if not value
                   else f"“{value}” is not a case type: use CP or CLA.")
    return value


def child_references(value: str, errors: Errors, column: str = "child_references") -> list[str]:
    refs = list_value(value)
    if not refs:
        errors.add(column, "Enter at least one child reference (separate several with ;).")
    for ref in refs:
        if len(ref) > 40:
            errors.add(column, f"Child reference “{ref[:40]}…” is longer than 40 characters.")
    return refs


def yes_no(value: str, column: str, errors: Errors, *, blank_means: str) -> bool | None:
    """``yes``/``no``, or empty (``blank_means`` says what empty stands for, for the message)."""
    if value not in ("", "yes", "no"):
        errors.add(column, f"“{value}” is not yes or no (leave it empty {blank_means}).")
    return {"yes": True, "no": False}.get(value)


class Teams:
    """The authority's teams, by name or slug, read once per import."""

    def __init__(self):
        self.by_key: dict[str, Team] = {}
        for team in Team.objects.all():
            self.by_key[team.name.casefold()] = team
            self.by_key[team.slug.casefold()] = team

    def read(self, value: str, errors: Errors, column: str = "team") -> Team | None:
        if not value:
            return None
        team = self.by_key.get(value.casefold())
        if team is None:
            errors.add(column, f"There is no team “{value}” (use its name or slug).")
        return team


class Vocabulary:
    """A small table looked up by slug (``model.slug``), read once per import."""

    def __init__(self, column: str, model):
        self.column = column
        self.items = {item.slug: item for item in model.objects.all()}

    def read(self, value: str, errors: Errors):
        if not value:
            return None
        item = self.items.get(value)
        if item is None:
            errors.add(self.column, f"“{value}” is not a {self.column.replace('_', ' ')} (use its slug: "
                                    f"{', '.join(self.items)}).")
        return item
