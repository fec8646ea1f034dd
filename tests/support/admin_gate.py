"""A person's roles as slugs, shared by the admin gate and DO team page tests (tests/guarantees/)."""

from __future__ import annotations


def slugs(user) -> set[str]:
    return set(user.roles.values_list("slug", flat=True))
