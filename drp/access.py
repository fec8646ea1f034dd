"""Who may do what with DRPs: the one place the rules are written.

The state machine (``drp.flows``), services, selectors, views, the API and the menu ask these.
"""

from __future__ import annotations

from people import roles
from people.access import holds

#: Who imports historical DRPs (and corrects them by importing again).
IMPORTERS = frozenset({roles.IRO_MANAGER, roles.BUSINESS_SUPPORT})


def can_raise_drp(user) -> bool:
    """IROs, Conference Chairs and IRO Managers raise DRPs and move them on (escalate,
    resolve, withdraw, refer to Cafcass)."""
    return holds(user, *roles.CHALLENGERS)


def reads_every_drp(user) -> bool:
    """The reviewing team, business support and auditors see every DRP."""
    return holds(user, *roles.READ_ALL_DRPS)


def answers_drps(user) -> bool:
    """Social-care staff answer the DRPs addressed to them (and see those about their teams)."""
    return holds(user, *roles.SOCIAL_CARE)


def can_read_drps(user) -> bool:
    """Whether the DRP pages are for this person at all (what they see is ``drps_visible_to``)."""
    return reads_every_drp(user) or answers_drps(user)


def lists_own_drps_first(user) -> bool:
    """IROs and Chairs (not IRO Managers) see the DRPs they raised unless they ask for all."""
    return holds(user, roles.IRO, roles.CHAIR) and not holds(user, roles.IRO_MANAGER)


def can_import_drps(user) -> bool:
    return holds(user, *IMPORTERS)
