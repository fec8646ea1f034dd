"""Fixtures shared by the guarantee tests: the access matrix's world and the admin's superuser."""

from __future__ import annotations

import pytest

from tests.support.access_matrix import World


@pytest.fixture
def world(org):
    return World(org)


@pytest.fixture
def superuser(org):
    """The issue's attacker: the IRO Manager, also a superuser, holding no DO role."""
    org.iro_manager.is_staff = org.iro_manager.is_superuser = True
    org.iro_manager.save()
    return org.iro_manager
