"""The sign-in backend (``AUTHENTICATION_BACKENDS``): Django's, with a session's user read
together with their roles.

Every request signed in by session read the user, then their roles (``User.role_slugs``) in a
statement of its own. Here the user's row comes with its role slugs beside it
(``people.selectors.user_with_roles``), so a request makes one statement fewer. Nothing is
cached between requests: the roles are read afresh with the user on every request, so a role
taken away stops working at the next request."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .selectors import user_with_roles


class PasswordBackend(ModelBackend):
    """Django's username and password sign-in; a session's user comes with their roles.
    (django-axes' backend, listed first, only refuses locked-out sign-ins: it reads no user.)"""

    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
