from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from knox.models import AbstractAuthToken
from simple_history.models import HistoricalRecords

from workflows.models import append_only, protect_history


class Role(models.Model):
    """A role a person holds (IRO, Team Manager, ...). Seeded from ``people.roles``."""

    slug = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    """A unit of the social-care line: a social work team, or a service, division or
    directorate above it. Its ``manager`` answers DRPs at the stage addressed to their role,
    so the addressee of a stage is found by walking up from the child's team."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    manager = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="managed_teams"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff. Roles decide what they may do; team decides whose cases they see."""

    roles = models.ManyToManyField(Role, blank=True, related_name="users")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def role_slugs(self) -> frozenset[str]:
        if not self.is_authenticated or self.pk is None:
            return frozenset()
        return frozenset(self.roles.values_list("slug", flat=True))

    def has_role(self, *slugs: str) -> bool:
        return bool(self.role_slugs.intersection(slugs))


class AuthenticatorRemoval(models.Model):
    """An administrator removed someone's authenticator app from the server (they lost their
    phone): whose, who says they did it, why, and how many devices went. Written once by
    ``manage.py remove_authenticator``; never changed (PostgreSQL refuses UPDATE and DELETE)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    removed_by = models.CharField(max_length=150, help_text="The administrator, as they named themselves.")
    reason = models.TextField()
    devices = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        triggers = [append_only()]

    def __str__(self):
        return f"Authenticator removed {self.at:%d %B %Y}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("This record is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("This record is append-only.")


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox: only a hash of the key is stored, and it expires).

    ``verified`` says whether a two-step code was accepted when it was issued: a token issued on
    the password alone never works for someone who must use two-step verification (the DO team,
    administrators), even if they were given that role after it was issued.
    ``password_fingerprint`` ties it to the password it was issued under, as Django ties a
    session to it: a changed password ends the token however the password was changed.
    """

    verified = models.BooleanField(
        default=False, help_text="Issued after a two-step verification code was accepted")
    password_fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]

    def __str__(self):
        return f"API token of {self.user} issued {self.created:%Y-%m-%d %H:%M}"


class ServiceAccount(models.Model):
    """A named system (the case management system, the data warehouse) that reads through the
    API. It signs in as its own user, which has no password and holds only scope roles
    (``roles.SYSTEM_SCOPES``): tokens are issued to the person who owns it, expire, and only
    read. Made on a page for IRO Managers (never in the admin); reading DO enquiries is granted
    by the DO Manager in the DO area, and shown in the DO access review."""

    name = models.CharField(max_length=120, unique=True)
    purpose = models.TextField(help_text="What the system does with what it reads.")
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="service_account")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_service_accounts",
                              help_text="The person responsible: tokens are issued to them.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    do_granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    do_granted_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def scopes(self) -> list[str]:
        from .roles import SYSTEM_SCOPES

        return [slug for slug in SYSTEM_SCOPES if slug in self.user.role_slugs]


# Who made or changed a system account, and its scopes: added to, never rewritten.
protect_history(ServiceAccount)
