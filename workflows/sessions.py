"""The session store (``SESSION_ENGINE``): Django's database sessions, refusing forged keys,
read with a statement compiled once.

Django makes session keys of 32 lowercase letters and digits. A ``sessionid`` cookie holding
anything else (found by the API fuzz: a NUL byte, which PostgreSQL refuses in a text column)
is treated as no session, a signed-out request, never a server error.

Every signed-in request reads its session: Django's ``objects.get(session_key=...,
expire_date__gt=now)`` built and compiled that query each time, more Python than the read
itself. The same statement is compiled once (``workflows.statements``) and run with the key
and the time now, so an expired session is refused exactly as before.
"""

from datetime import UTC, datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from .statements import CompiledRead

_SESSION = CompiledRead(
    lambda key, now: Session.objects.filter(session_key=key).filter(expire_date__gt=now),
    (Session._meta.get_field("session_key"), "stand-in"),
    (Session._meta.get_field("expire_date"), datetime(2000, 1, 1, tzinfo=UTC)),
)


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(key) and 8 <= len(key) <= 64 and key.isascii() and key.isalnum()

    def _get_session_from_db(self):
        """Django's, with the compiled statement (this store's model is Django's ``Session``)."""
        session = _SESSION.first(self.session_key, timezone.now())
        if session is None:
            self._session_key = None
        return session
