"""Who may do what with Designated Officer enquiries: the one place the rules are written.

Default deny: only Designated Officers and the DO Manager, never by superuser or staff status.
The DO team is a group of ``people``'s roles, so the two membership predicates are
``people.access``'s (two-step sign-in and the admin use them too); this module names them for
the DO app (``lado``) and adds what enquiries need. Flows, services, selectors, views, the API
permission classes and the menu all ask these.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from people import roles
from people.access import holds, is_do_manager
from people.access import is_do_team as _holds_do_role

__all__ = ["IMPORTERS", "do_team_members", "is_do_manager", "is_do_team", "require_do_manager",
           "require_do_team"]

#: Who imports historical DO enquiries (and corrects them by importing again).
IMPORTERS = frozenset({roles.DO_MANAGER})


def is_do_team(user) -> bool:
    """Who reads DO enquiries: the DO team, or a system account the DO Manager let read them (a
    system account only reads: ``people.tokens``). Two-step sign-in asks ``people.access``."""
    return _holds_do_role(user) or holds(user, roles.SYSTEM_READ_DO)


def require_do_team(user) -> None:
    """Changes: the DO team only (never a system account, even one that reads DO enquiries)."""
    if not _holds_do_role(user):
        raise PermissionDenied("Designated Officer records are only for the DO team.")


def require_do_manager(user) -> None:
    if not is_do_manager(user):
        raise PermissionDenied("Only the DO Manager can do this.")


def do_team_members():
    """Everyone active on the DO team (officers an enquiry can be allocated to, reminder
    recipients)."""
    from people.selectors import users_with_role

    return users_with_role(*roles.DO_TEAM)
