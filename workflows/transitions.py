"""One way to move a case, in every workflow, page and API alike.

A case's state machine (``<app>/flows.py``, viewflow.fsm) carries each move's source statuses,
its permission and its conditions, and words its own refusals (``refusal(name)``, and
optionally ``forbidden(name)``). :func:`gate` is the one place they are asked, always in this
order:

1. the case's status allows the move, else 409 with the flow's sentence;
2. the person may make it, else 403;
3. its conditions hold (a later stage exists, no legal hold, ...), else 409 with the
   condition's sentence;
4. only then is the input read (a form or a serializer), 400 naming the field.

Pages and the API call :func:`gate` (or :func:`read_input`) before reading the input; the
service calls :func:`perform` under the row lock (``workflows.locks.lock``), which passes the
same gate again and runs the transition: that is what counts. ``workflows.moves`` holds the
page side (one registry of move forms per app).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from viewflow import fsm
from viewflow.fsm import TransitionNotAllowed

from .exceptions import TransitionRefused

T = TypeVar("T")
NOT_NOW = "This is not allowed now."


def _refusal(flow: Any, name: str, refusal: str | None) -> str:
    if refusal is not None:
        return refusal
    words = getattr(flow, "refusal", None)
    return words(name) if words else NOT_NOW


def _forbidden(flow: Any, name: str, bound) -> str:
    words = getattr(flow, "forbidden", None)
    return words(name) if words else f"You are not allowed to {bound.label.lower()} this case."


def unmet_condition(flow: Any, name: str) -> str | None:
    """The sentence of the first unmet condition of move ``name`` from the current status, or
    None when every condition holds (or no transition leaves this status)."""
    bound = getattr(flow, name)
    current = flow.status
    transitions = list(bound.get_transitions())
    transition = next((t for t in transitions if t.source == current), None) or \
        next((t for t in transitions if t.source == fsm.State.ANY), None)
    if transition is None:
        return None
    unmet = transition.get_unmet_condition(flow)
    if unmet is None:
        return None
    return getattr(unmet[1], "unmet", "") or NOT_NOW


def gate(flow: Any, name: str, actor, *, refusal: str | None = None):
    """Refuse a move the status does not allow (409), then one the actor may not make (403),
    then one whose conditions do not hold (409); return the bound transition.

    ``refusal`` overrides the flow's own sentence for the status refusal (rarely needed)."""
    bound = getattr(flow, name)
    if not bound.can_proceed(check_conditions=False):
        raise TransitionRefused(_refusal(flow, name, refusal))
    if not bound.has_perm(actor):
        raise PermissionDenied(_forbidden(flow, name, bound))
    unmet = unmet_condition(flow, name)
    if unmet is not None:
        raise TransitionRefused(unmet)
    return bound


def read_input(flow: Any, name: str, actor, read: Callable[[], T], *, refusal: str | None = None) -> T:
    """The move's input, read only once :func:`gate` lets the move through (409, 403, 409, then
    400). ``read`` validates (a serializer's ``is_valid(raise_exception=True)``, say)."""
    gate(flow, name, actor, refusal=refusal)
    return read()


def perform(flow: Any, name: str, actor, *args: Any, refusal: str | None = None, **kwargs: Any) -> Any:
    """Pass the :func:`gate` and run transition ``name`` (the caller holds the row lock)."""
    bound = gate(flow, name, actor, refusal=refusal)
    try:
        return bound(*args, **kwargs)
    except TransitionNotAllowed as exc:
        message = getattr(exc, "message", "") or str(exc)
        raise TransitionRefused(message) from exc


def available(flow: Any, names: list[str], actor, *, check_conditions: bool = True) -> list[str]:
    """The moves of ``names`` that ``actor`` may make now (for showing what they can do).
    With ``check_conditions=False`` a move whose status and person allow it is offered even when
    a condition stops it, so that its page can say why (the DO enquiry's destroy and legal hold)."""
    result = []
    for name in names:
        bound = getattr(flow, name)
        if bound.can_proceed(check_conditions=check_conditions) and bound.has_perm(actor):
            result.append(name)
    return result


def refusal_of(flow: Any, name: str, actor, *, refusal: str | None = None) -> str | None:
    """Why :func:`perform` would refuse move ``name`` now, or None when it would run. Nothing
    moves: an import checks every row of a file this way before it writes any."""
    try:
        gate(flow, name, actor, refusal=refusal)
    except TransitionRefused as exc:
        return exc.message
    except PermissionDenied as exc:
        return str(exc)
    return None
