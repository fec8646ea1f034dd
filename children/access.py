"""Who may see and add children's records: the one place the rules are written."""

from __future__ import annotations

from people import roles
from people.access import holds


def reads_every_child(user) -> bool:
    """The reviewing team, business support, auditors and the DO team see every child."""
    return holds(user, *roles.READ_ALL_DRPS, *roles.DO_TEAM)


def reads_own_teams_children(user) -> bool:
    """Social-care staff see the children of the teams in their scope."""
    return holds(user, *roles.SOCIAL_CARE)


def can_read_children(user) -> bool:
    return reads_every_child(user) or reads_own_teams_children(user)


def can_add_child(user) -> bool:
    """The reviewing team and business support add a child's record."""
    return holds(user, *roles.CHALLENGERS, roles.BUSINESS_SUPPORT)
