"""The session store (``SESSION_ENGINE``): Django's database sessions, refusing forged keys.

Django makes session keys of 32 lowercase letters and digits. A ``sessionid`` cookie holding
anything else (found by the API fuzz: a NUL byte, which PostgreSQL refuses in a text column)
is treated as no session, a signed-out request, never a server error.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(key) and 8 <= len(key) <= 64 and key.isascii() and key.isalnum()
