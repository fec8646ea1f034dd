"""The page side of a move: one registry of move forms per app, and one way to submit them.

Each case app lists its moves' forms in a ``MOVE_FORMS`` dict of :class:`MoveForm` (slug in the
URL → the transition it runs, how its form is built, which service it calls, what to say on
success). :func:`submit` runs one the way the API does (``workflows.transitions``): the status
(409), the person (403), the conditions (409), then the form (400 naming the field), then the
service, which passes the same gate again under the row lock. Each app renders the outcome in
its own page (the DRP shows its forms on the case page, the DO enquiry one form a page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from .concurrency import PreconditionFailed
from .exceptions import TransitionRefused
from .forms import add_errors
from .page_versions import changed_since, expecting_version, version_to_carry
from .transitions import gate


@dataclass(frozen=True)
class MoveForm:
    """One move's form on a case page."""

    #: The flow's transition, or a function of the case naming it (legal hold: place or release).
    transition: str | Callable[[Any], str]
    heading: str
    #: ``make(data, case, request)``: the bound (or, on GET, unbound) form.
    make: Callable[..., Any]
    #: ``call(case, actor, form)``: the service, with the form's cleaned data.
    call: Callable[[Any, Any, Any], Any]
    success: str
    intro: str = ""
    warning: bool = False

    def transition_for(self, case) -> str:
        return self.transition(case) if callable(self.transition) else self.transition


@dataclass
class Submitted:
    """What became of a move's form: ``done`` with the service's ``result``, or the ``form``
    to show again (None when refused before the form), the ``refusal`` and the ``status``."""

    form: Any = None
    refusal: str | None = None
    status: int = 200
    done: bool = False
    result: Any = None
    #: The version the form shown again carries (``workflows.page_versions``).
    version: int | None = None


def submit(flow, spec: MoveForm, case, request, *, renamed_errors: dict | None = None,
           fixed_at=None) -> Submitted:
    """Show (GET) or submit (POST) ``spec``'s form on ``case``. A 403 is raised, as Django turns
    it into the forbidden page; a refusal of the status or a condition comes back as a 409 with
    the flow's sentence and no form; an invalid form as a 400 with the field named.
    ``fixed_at``: called on a service's refusal, (address, form) of the page where fields not
    on this form are fixed (``workflows.forms.add_errors``)."""
    name = spec.transition_for(case)
    try:
        gate(flow, name, request.user)
    except TransitionRefused as exc:
        return Submitted(refusal=exc.message, status=409 if request.method == "POST" else 200)
    form = spec.make(request.POST if request.method == "POST" else None, case, request)
    carried = version_to_carry(request, case)
    if request.method != "POST":
        return Submitted(form=form, version=carried)
    if not form.is_valid():
        return Submitted(form=form, status=400, version=carried)
    try:
        with expecting_version(request, case):
            result = spec.call(case, request.user, form)
    except TransitionRefused as exc:
        return Submitted(refusal=exc.message, status=409)
    except PreconditionFailed:
        # Changed since the person opened it: say by whom and when, keep their answers, and
        # carry the version they have now seen (sending again saves over it knowingly).
        form.add_error(None, changed_since(case))
        return Submitted(form=form, status=409, version=type(case)._base_manager.get(pk=case.pk).version)
    except ValidationError as exc:
        add_errors(form, exc, renamed_errors, fixed_at=fixed_at() if fixed_at else None)
        return Submitted(form=form, status=400, version=carried)
    return Submitted(done=True, result=result, form=form)
