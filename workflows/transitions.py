"""Running a viewflow.fsm transition the same way in every workflow.

A transition's permission is a query; this is where it is enforced. The
caller holds the row lock (``select_for_update``) inside its transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from viewflow.fsm import TransitionNotAllowed

from .exceptions import TransitionRefused


def check(flow: Any, name: str, actor, *, refusal: str):
    """Refuse a move the status does not allow (409), then one the actor may not make (403).

    Views call it before reading the input, so a refusal is never hidden behind a 400; the
    service calls it again under the row lock (through ``perform``), which is what counts.
    """
    bound = getattr(flow, name)
    if not bound.can_proceed(check_conditions=False):
        raise TransitionRefused(refusal)
    if not bound.has_perm(actor):
        raise PermissionDenied(f"You are not allowed to {bound.label.lower()} this case.")
    return bound


def perform(flow: Any, name: str, actor, *args: Any, refusal: str, **kwargs: Any) -> Any:
    """Check state, then permission, then conditions, and run transition ``name``.

    ``refusal`` is the sentence shown when the current status allows no such move.
    """
    bound = check(flow, name, actor, refusal=refusal)
    try:
        return bound(*args, **kwargs)
    except TransitionNotAllowed as exc:
        message = getattr(exc, "message", "") or str(exc)
        raise TransitionRefused(message) from exc


def available(flow: Any, names: list[str], actor) -> list[str]:
    """The transitions of ``names`` that ``actor`` may take now (for showing actions)."""
    result = []
    for name in names:
        bound = getattr(flow, name)
        if bound.can_proceed() and bound.has_perm(actor):
            result.append(name)
    return result


def refusal_of(flow: Any, name: str, actor, *, refusal: str) -> str | None:
    """Why ``perform`` would refuse transition ``name`` now (status, permission, then the first
    unmet condition), or None when it would run. Nothing moves: an import checks every row of a
    file this way before it writes any (each flow keeps its state in ``status``)."""
    try:
        bound = check(flow, name, actor, refusal=refusal)
    except (TransitionRefused, PermissionDenied) as exc:
        return exc.message if isinstance(exc, TransitionRefused) else str(exc)
    current = flow.status
    for transition in bound.get_transitions():
        if transition.source == current:
            unmet = transition.get_unmet_condition(flow)
            if unmet is not None:
                return getattr(unmet[1], "unmet", "") or "This is not allowed now."
    return None
