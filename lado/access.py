"""Who may do what with Designated Officer cases: the one place the rules are written.

Default deny: only Designated Officers and the DO Manager, never by superuser or staff status.
The DO team is a group of ``people``'s roles, so the two membership predicates are
``people.access``'s (two-step sign-in and the admin use them too); this module names them for
the DO case app and adds what the DO case needs. Flows, services, selectors, views, the API
permission classes and the menu all ask these.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from people import roles
from people.access import is_do_manager, is_do_team

__all__ = ["IMPORTERS", "do_team_members", "is_do_manager", "is_do_team", "require_do_manager",
           "require_do_team"]

#: Who imports historical DO cases (and corrects them by importing again).
IMPORTERS = frozenset({roles.DO_MANAGER})


def require_do_team(user) -> None:
    if not is_do_team(user):
        raise PermissionDenied("Designated Officer records are only for the DO team.")


def require_do_manager(user) -> None:
    if not is_do_manager(user):
        raise PermissionDenied("Only the DO Manager can do this.")


def do_team_members():
    """Everyone active on the DO team (officers a case can be allocated to, reminder
    recipients)."""
    from people.selectors import users_with_role

    return users_with_role(*roles.DO_TEAM)
