"""Who manages what: walking the team tree (a small table, read once per call); a person with
their roles in one statement."""

from __future__ import annotations

from django.db.models import Aggregate, CharField, OuterRef, QuerySet, Subquery

from workflows.statements import CompiledRead

from .models import Team, User


def _tree() -> dict[int, Team]:
    return {team.pk: team for team in Team.objects.only("id", "parent_id", "manager_id", "name")}


def ancestors_or_self(team_id: int | None, tree: dict[int, Team] | None = None) -> list[Team]:
    """The team and every unit above it, nearest first."""
    tree = tree if tree is not None else _tree()
    chain = []
    seen = set()
    while team_id is not None and team_id in tree and team_id not in seen:
        seen.add(team_id)
        team = tree[team_id]
        chain.append(team)
        team_id = team.parent_id
    return chain


def team_ids_in_scope(user: User) -> frozenset[int]:
    """Teams whose children a social-care user may see: their own team and every team
    under a unit they belong to or manage."""
    cached = getattr(user, "_team_scope", None)
    if cached is not None:
        return cached
    tree = _tree()
    roots = {t.pk for t in tree.values() if t.manager_id == user.pk}
    if user.team_id:
        roots.add(user.team_id)
    scope = {
        team_id
        for team_id in tree
        if any(t.pk in roots for t in ancestors_or_self(team_id, tree))
    }
    user._team_scope = frozenset(scope)
    return user._team_scope


def holder_of_role_for_team(role: str, team_id: int | None) -> User | None:
    """The person who answers for ``role`` on behalf of a team: the nearest manager above
    (or of) the team holding that role; for social workers, no one is found this way."""
    for unit in ancestors_or_self(team_id):
        if unit.manager_id:
            manager = User.objects.filter(pk=unit.manager_id, roles__slug=role).first()
            if manager:
                return manager
    return None


def holds_role_for_team(user: User, role: str, team_id: int | None) -> bool:
    """True when ``user`` holds ``role`` and the team is within their scope."""
    return user.has_role(role) and team_id is not None and team_id in team_ids_in_scope(user)


def line_managers_of(users) -> dict[int, User | None]:
    """``line_manager_of`` for many people at once: the team tree read once, the managers
    fetched in one query, each person's line worked out once however often they are named (a
    sweep names a few addressees thousands of times). {user pk: their line manager, or None}."""
    tree = _tree()
    people = {user.pk: user for user in users if user is not None}
    above_ids = {pk: _line_manager_id(user, tree) for pk, user in people.items()}
    managers = User.objects.in_bulk({pk for pk in above_ids.values() if pk})
    return {pk: managers.get(manager_id) for pk, manager_id in above_ids.items()}


def _line_manager_id(user: User, tree: dict[int, Team]) -> int | None:
    managed = [team for team in tree.values() if team.manager_id == user.pk]
    if managed:
        # The lowest unit they manage: the one deepest in the tree.
        lowest = max(managed, key=lambda team: len(ancestors_or_self(team.pk, tree)))
        start = lowest.parent_id
    else:
        start = user.team_id
    above = [unit for unit in ancestors_or_self(start, tree) if unit.manager_id and unit.manager_id != user.pk]
    return above[0].manager_id if above else None


def line_manager_of(user: User | None) -> User | None:
    """The person above ``user`` in the line: for a manager, the manager of the unit above the
    one they manage; otherwise the manager of their own team."""
    if user is None:
        return None
    manager_id = _line_manager_id(user, _tree())
    return User.objects.filter(pk=manager_id).first() if manager_id else None


def users_with_role(*slugs: str):
    """Active people holding any of these roles (team-wide recipients, the officers a case can
    be given to): the one query for "who holds role X", ordered by name."""
    return User.objects.filter(roles__slug__in=slugs, is_active=True).distinct()


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


#: The session's user with their roles, compiled once (building and compiling it on every
#: request cost more than the database's answer): workflows.statements.
_USER_WITH_ROLES = CompiledRead(lambda pk: with_role_slugs(User._default_manager.filter(pk=pk).order_by()),
                                (User._meta.pk, 0))


def user_with_roles(user_id) -> User | None:
    """The user with ``role_slugs`` already known, read in one statement with them (the
    session's user, people.backends), or None. Read afresh each time: only the statement's
    text is kept."""
    user = _USER_WITH_ROLES.first(user_id)
    if user is None:
        return None
    joined = user.joined_role_slugs
    user.__dict__["role_slugs"] = frozenset(joined.split(SLUG_SEPARATOR) if joined else ())
    return user
