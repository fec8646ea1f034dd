"""Who reads reports: IRO Managers, DO Managers and Auditors; nobody else (superusers included)."""

from __future__ import annotations

from people import roles
from people.access import holds

READERS = frozenset({roles.IRO_MANAGER, roles.DO_MANAGER, roles.AUDITOR, roles.SYSTEM_READ_REPORTS})


def can_read_reports(user) -> bool:
    return holds(user, *READERS)


#: Who sees a report of their own figures (issue 13): IROs and conference chairs; IRO Managers
#: may look at theirs too.
OWN_FIGURES = frozenset({roles.IRO, roles.CHAIR, roles.IRO_MANAGER})


def reads_own_figures(user) -> bool:
    return holds(user, *OWN_FIGURES)


#: Who writes the commentary of each section of the annual report document (``reports.document``):
#: the IRO Manager the DRP and positive-practice sections, the DO Manager the Designated Officer's.
DRP_COMMENTARY = frozenset({roles.IRO_MANAGER})
DO_COMMENTARY = frozenset({roles.DO_MANAGER})


def can_write_commentary(user, section) -> bool:
    """``section`` is a ``reports.document.Section``; it names who writes its commentary."""
    return can_read_reports(user) and holds(user, *section.writers)


def can_read_do_indicators(user) -> bool:
    """The DO indicators: every report reader (yearly, suppressed) and the DO team (by month too,
    exact): a Designated Officer reads the team's own figures."""
    from lado.access import is_do_team

    return can_read_reports(user) or is_do_team(user)
