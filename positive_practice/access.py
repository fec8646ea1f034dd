"""Who may read and record positive practice: the one place the rules are written.

Readers are the reviewing team (IROs, Chairs, IRO Managers), the Customer Feedback and
Complaints Team, business support and auditors, who see all of it, and social-care staff,
who see what concerns their teams or recognises them (DOMAIN.md: the IRO Manager oversees
all positive practice; complaints are told of each one; the access matrix's ``PP_READERS``).
The page, the API, the menu and the selector used to say this in two ways (the page's
check and the selector's ``READ_ALL``); this is now the one definition.
"""

from __future__ import annotations

from people import roles
from people.access import holds

#: Who imports historical positive practice.
IMPORTERS = frozenset({roles.IRO_MANAGER, roles.BUSINESS_SUPPORT})
_READ_ALL = roles.CHALLENGERS | {roles.COMPLAINTS, roles.BUSINESS_SUPPORT, roles.AUDITOR,
                                 roles.SYSTEM_READ_POSITIVE_PRACTICE}


def reads_all_positive_practice(user) -> bool:
    return holds(user, *_READ_ALL)


def reads_own_teams_positive_practice(user) -> bool:
    """Social-care staff: what concerns their teams' children or recognises them."""
    return holds(user, *roles.SOCIAL_CARE)


def can_read_positive_practice(user) -> bool:
    return reads_all_positive_practice(user) or reads_own_teams_positive_practice(user)


def can_record_positive_practice(user) -> bool:
    """IROs, Conference Chairs and IRO Managers record it."""
    return holds(user, *roles.CHALLENGERS)


def may_be_named_practitioner(user) -> bool:
    """Only social-care staff are recognised by name (and so told, with the case reference):
    not a Designated Officer, an IRO or anyone else in the system."""
    return bool(user.is_active) and holds(user, *roles.SOCIAL_CARE)
