"""Sign-in backends (``AUTHENTICATION_BACKENDS``) that read a signed-in person's roles in the
same statement as the person.

Every request signed in by session read the user, then their roles (``User.role_slugs``) in a
statement of its own. Here the user's row comes with its role slugs beside it, so a request
makes one statement fewer. Nothing is cached between requests: the roles are read afresh with
the user on every request, so a role taken away stops working at the next request."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Aggregate, CharField, OuterRef, QuerySet, Subquery

from .models import User

#: Separates the slugs in the one text value a person's roles are read as (a slug never holds it).
SLUG_SEPARATOR = ","


class JoinedSlugs(Aggregate):
    """The slugs of a group of rows joined into one text value."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, '" + SLUG_SEPARATOR + "')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def with_role_slugs(users: QuerySet[User]) -> QuerySet[User]:
    """The users with ``joined_role_slugs`` (their roles' slugs as one text value, or None)."""
    held = (User.roles.through.objects.filter(user_id=OuterRef("pk")).order_by()
            .values("user_id").annotate(slugs=JoinedSlugs("role_id")).values("slugs"))
    return users.annotate(joined_role_slugs=Subquery(held))


def user_with_roles(user_id) -> User | None:
    """The user with ``role_slugs`` already known (see the module's docstring), or None."""
    try:
        user = with_role_slugs(User._default_manager.all()).get(pk=user_id)
    except User.DoesNotExist:
        return None
    joined = user.joined_role_slugs
    user.__dict__["role_slugs"] = frozenset(joined.split(SLUG_SEPARATOR) if joined else ())
    return user


class PasswordBackend(ModelBackend):
    """Django's username and password sign-in; a session's user comes with their roles.
    (django-axes' backend, listed first, only refuses locked-out sign-ins: it reads no user.)"""

    def get_user(self, user_id):
        user = user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
