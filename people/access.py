"""Who holds which role: the base that every app's ``access.py`` names its rules on.

Each app says who may do what in its own ``access.py`` (``drp.access.can_raise_drp``,
``lado.access.is_do_team``, ...), and its flows, services, selectors, views, API permission
classes and the menu (``config.navigation``) ask those predicates, never the role slugs.
The DO team is a group of ``people``'s roles, so its two predicates live here, where the
sign-in rules (two-step verification) and the admin can use them; ``lado.access`` names them
for the DO app (``lado``).
"""

from __future__ import annotations

from . import roles


def holds(user, *slugs: str) -> bool:
    """Whether a signed-in ``user`` holds any of the roles ``slugs`` (never an anonymous one)."""
    return bool(user is not None and user.is_authenticated and user.has_role(*slugs))


def is_do_team(user) -> bool:
    """Designated Officers and the DO Manager: the only people who see DO enquiries."""
    return holds(user, *roles.DO_TEAM)


def is_do_manager(user) -> bool:
    return holds(user, roles.DO_MANAGER)


def is_iro_manager(user) -> bool:
    return holds(user, roles.IRO_MANAGER)
