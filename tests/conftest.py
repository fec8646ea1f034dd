"""Shared fixtures: an organisation with one person per role, the way the demo builds it."""

import os

import pytest

from people import roles
from tests.support.factories import ChildFactory, TeamFactory, UserFactory
from tests.support.ports import free_port
from workflows.calendar import clear_calendar_cache

REQUIRE_SERVICES = os.environ.get("FOOTPRINT_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def fresh_calendar():
    """Closure days cached by one test must not leak into the next (rollback clears no cache)."""
    clear_calendar_cache()
    yield
    clear_calendar_cache()


def skip_or_fail(reason: str):
    """Skip with a visible reason, or fail when CI says the service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (FOOTPRINT_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def org(db):
    """A directorate > division > service > team line, a person per role, and a child.

    Returns a namespace: ``org.iro``, ``org.team_manager``, ``org.team``, ``org.child`` ...
    """

    class Org:
        pass

    o = Org()
    o.director = UserFactory(username="director", roles=[roles.DIRECTOR])
    o.assistant_director = UserFactory(username="assistant-director", roles=[roles.ASSISTANT_DIRECTOR])
    o.head_of_service = UserFactory(username="head-of-service", roles=[roles.HEAD_OF_SERVICE])
    o.service_manager = UserFactory(username="service-manager", roles=[roles.SERVICE_MANAGER])
    o.team_manager = UserFactory(username="team-manager", roles=[roles.TEAM_MANAGER])
    o.directorate = TeamFactory(name="Children's Services", slug="childrens-services", manager=o.director)
    o.division = TeamFactory(name="Safeguarding Division", slug="safeguarding", parent=o.directorate,
                             manager=o.assistant_director)
    o.service = TeamFactory(name="Children in Care Service", slug="cic-service", parent=o.division,
                            manager=o.head_of_service)
    o.area = TeamFactory(name="North Area", slug="north-area", parent=o.service, manager=o.service_manager)
    o.team = TeamFactory(name="North Team 1", slug="north-1", parent=o.area, manager=o.team_manager)
    o.other_team = TeamFactory(name="South Team 1", slug="south-1", parent=o.directorate)
    o.social_worker = UserFactory(username="social-worker", roles=[roles.SOCIAL_WORKER], team=o.team)
    o.other_social_worker = UserFactory(username="other-social-worker", roles=[roles.SOCIAL_WORKER],
                                        team=o.other_team)
    o.team_manager.team = o.team
    o.team_manager.save()
    o.iro = UserFactory(username="iro", roles=[roles.IRO])
    o.chair = UserFactory(username="chair", roles=[roles.CHAIR])
    o.iro_manager = UserFactory(username="iro-manager", roles=[roles.IRO_MANAGER])
    o.designated_officer = UserFactory(username="designated-officer", roles=[roles.DESIGNATED_OFFICER])
    o.do_manager = UserFactory(username="do-manager", roles=[roles.DO_MANAGER])
    o.complaints = UserFactory(username="complaints", roles=[roles.COMPLAINTS])
    o.business_support = UserFactory(username="business-support", roles=[roles.BUSINESS_SUPPORT])
    o.auditor = UserFactory(username="auditor", roles=[roles.AUDITOR])
    o.child = ChildFactory(reference="C000001", name="Amy Example", team=o.team,
                           social_worker=o.social_worker)
    o.sibling = ChildFactory(reference="C000002", name="Ben Example", team=o.team,
                             social_worker=o.social_worker)
    o.other_child = ChildFactory(reference="C000099", name="Zed Other", team=o.other_team,
                                 social_worker=o.other_social_worker)
    return o


@pytest.fixture
def broker_unplugged():
    """A Celery app like the project's, current while the test runs, with a broker (not eager)
    at an address that refuses connections. (A new app: an app's producer pool keeps the
    address it was first used with.)"""
    from celery import Celery

    from config.celery_app import app as project_app
    from workflows import broker

    app = Celery("footprint-unplugged", set_as_current=True)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    broker.reset()
    yield app
    project_app.set_current()
    broker.reset()
