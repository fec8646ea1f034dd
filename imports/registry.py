"""The kinds of record that can be imported. Each case app registers its own from its
``ready()`` (as it registers its deadlines with the reminder sweep), so this app imports none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from .services import Importer


@dataclass(frozen=True)
class ImportKind:
    """One kind of record a file can hold.

    ``name`` is stable (it is stored on import jobs and used in URLs, the API and the command);
    ``label`` is what people read; ``columns`` is the template's header row; ``roles`` may
    import it; ``importer`` parses and writes its rows; ``order`` places it in lists;
    ``optional`` names columns a file may leave out (added after files were made: an older file
    still imports, the column read as empty).
    """

    name: str
    label: str
    columns: tuple[str, ...]
    roles: frozenset[str]
    importer: type[Importer]
    order: int = 0
    optional: tuple[str, ...] = ()


_registry: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    """Make a kind importable (call from an app's ``ready()``)."""
    _registry[kind.name] = kind
    return kind


def registered() -> list[ImportKind]:
    return sorted(_registry.values(), key=lambda kind: (kind.order, kind.name))


def get(name: str) -> ImportKind | None:
    return _registry.get(name)


def names() -> list[str]:
    return [kind.name for kind in registered()]


def kinds_for(user) -> list[ImportKind]:
    """The kinds this person may import (by role; superuser status gives nothing)."""
    if not (user and user.is_authenticated):
        return []
    return [kind for kind in registered() if user.has_role(*kind.roles)]


def require_importer(user, name: str) -> ImportKind:
    kind = get(name)
    if kind is None or kind not in kinds_for(user):
        label = kind.label.lower() if kind else "these records"
        raise PermissionDenied(f"You cannot import {label}.")
    return kind
