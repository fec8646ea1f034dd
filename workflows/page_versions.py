"""No lost updates on pages: a form that changes a versioned record carries the version it
read (a hidden ``version`` field), and saving a record changed since is refused like an API
``If-Match`` (``workflows.concurrency``: checked when the row is saved under its lock), with
a sentence saying who changed it and when, the person's answers kept on the form.

A form sent without a version (a page opened before this release) saves as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from .concurrency import expecting

FIELD = "version"

#: What a person calls each versioned record in the sentence (the model's name otherwise).
NOUNS = {"disputeresolution": "DRP", "enquiry": "enquiry", "action": "action",
         "positivepractice": "positive practice record", "child": "child's record"}


def posted_version(request) -> str | None:
    value = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return value if value.isdigit() else None


def version_to_carry(request, obj) -> int | None:
    """The version a form shown again carries: the one the person opened (their answers are
    for that), or the record's own on a first showing. None for a record that keeps no
    version (a cover): nothing to carry, nothing to check."""
    if not hasattr(obj, "version"):
        return None
    posted = posted_version(request)
    return int(posted) if posted is not None else obj.version


@contextmanager
def expecting_version(request, obj) -> Iterator[None]:
    """Within this block, saving ``obj`` checks it is still at the version the form read."""
    posted = posted_version(request)
    if posted is None or not hasattr(obj, "version"):
        yield
        return
    with expecting(f'"{obj.resource}-{posted}"'):
        yield


def changed_since(obj) -> str:
    """"This DRP was changed by Sam Ellis at 14:05 since you opened it ...": who made the
    latest change (its history row) and when (``updated_at``, local time)."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    history = getattr(fresh, "history", None)
    last = history.select_related("history_user").order_by("-history_date", "-pk").first() if history else None
    person = getattr(last, "history_user", None)
    who = (person.get_full_name() or person.get_username()) if person is not None else "someone else"
    noun = NOUNS.get(obj._meta.model_name, obj._meta.verbose_name)
    when = timezone.localtime(fresh.updated_at)
    day = "" if when.date() == timezone.localdate() else f" on {when:%-d %B %Y}"
    return (f"This {noun} was changed by {who} at {when:%H:%M}{day} since you opened it. Check it as it is "
            "now, then send your changes again: what you entered is kept below.")
