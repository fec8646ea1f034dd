"""workflows.statements.CompiledRead: a read compiled once, run afresh with new values."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from people.models import User
from workflows.statements import CompiledRead

pytestmark = pytest.mark.django_db


def test_compiled_read_reads_afresh_with_each_value():
    by_username = CompiledRead(lambda name: User.objects.filter(username=name).order_by(),
                               (User._meta.get_field("username"), "stand-in"))
    User.objects.create(username="ada")
    assert by_username.first("ada").username == "ada"
    assert by_username.first("bob") is None
    User.objects.create(username="bob")
    assert by_username.first("bob").username == "bob"  # the statement is kept, not the answer


def test_compiled_read_compares_dates_as_the_orm_does():
    """A date-time parameter is prepared by its field (text on SQLite), as the lookup would."""
    still_valid = CompiledRead(lambda now: Session.objects.filter(expire_date__gt=now),
                               (Session._meta.get_field("expire_date"), timezone.now()))
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=now + timedelta(minutes=1))
    assert [s.session_key for s in still_valid.run(now)] == ["a" * 32]
    assert list(still_valid.run(now + timedelta(minutes=2))) == []


def test_compiled_read_refuses_a_statement_whose_parameters_are_not_its_stand_ins():
    """Parameters in another order than the stand-ins (Django sorts a filter's keywords) or a
    value the SQL depends on would run the kept SQL with the wrong values: refused."""
    swapped = CompiledRead(lambda name, email: User.objects.filter(username=name, email=email),
                           (User._meta.get_field("username"), "n"), (User._meta.get_field("email"), "e"))
    with pytest.raises(ValueError, match="cannot be compiled once"):
        swapped.first("ada", "ada@example.org")
    listed = CompiledRead(lambda ids: User.objects.filter(pk__in=ids), (User._meta.pk, [1, 2]))
    with pytest.raises((ValueError, TypeError)):
        listed.first([3])


def test_first_makes_the_instance_raw_makes():
    """``first`` works out once how a row becomes an instance; the instance is raw()'s: every
    field converted as the database's converters do (a date-time on SQLite), annotations as
    attributes, and read afresh on every call."""
    from people.selectors import with_role_slugs

    with_roles = CompiledRead(lambda pk: with_role_slugs(User._default_manager.filter(pk=pk).order_by()),
                              (User._meta.pk, 0))
    ada = User.objects.create(username="ada", last_login=timezone.now())
    for _ in range(2):  # the first call works the row's shape out, the second reuses it
        ours, raws = with_roles.first(ada.pk), next(iter(with_roles.run(ada.pk)))
        assert type(ours) is User and not ours._state.adding and ours._state.db == raws._state.db
        assert {f.attname: getattr(ours, f.attname) for f in User._meta.fields} == \
               {f.attname: getattr(raws, f.attname) for f in User._meta.fields}
        assert ours.joined_role_slugs == raws.joined_role_slugs
    assert isinstance(ours.last_login, type(ada.last_login))
    User.objects.filter(pk=ada.pk).update(first_name="Ada")
    assert with_roles.first(ada.pk).first_name == "Ada"
    assert with_roles.first(ada.pk + 1000) is None
