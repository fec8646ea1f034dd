"""Accounts, teams and roles in the admin, without the Designated Officer roles.

DO roles (designated-officer, do-manager) are given and removed only by the DO Manager, in the
DO area (``lado.services.do_role_grant`` / ``do_role_remove``, on an audit trail). Here the
roles field offers none, and saving a person keeps whatever DO roles they hold: a crafted POST
naming a DO role is refused as an invalid choice. A DO role holder's email and password cannot
be changed here (the route to taking over their account), and they cannot be deleted here.
Authenticator apps (django-otp devices) have no admin: their secrets are never shown again
after set-up (``manage.py remove_authenticator`` helps someone who lost their phone).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from . import roles
from .models import Role, Team, User

admin.site.unregister(TOTPDevice)

DO_ROLES_HELP = ("Designated Officer roles are not listed: the DO Manager gives and removes them in the "
                 "Designated Officer area. Saving here leaves them as they are.")
HOLDS_DO_ROLE = ("This person holds a Designated Officer role, which the admin cannot change. The DO Manager "
                 "removes it in the Designated Officer area first. To stop them signing in now, untick Active.")


def roles_offered():
    """Every role the admin may give or take away: all but the DO team's."""
    return Role.objects.exclude(slug__in=roles.DO_TEAM)


def holds_do_role(user) -> bool:
    return user.pk is not None and user.roles.filter(slug__in=roles.DO_TEAM).exists()


class RoleFilter(admin.SimpleListFilter):
    """Filter people by a role the admin offers (never by a DO role)."""

    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role.slug, role.name) for role in roles_offered()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in {slug for slug, _ in self.lookup_choices}:
            return queryset.none()
        return queryset.filter(roles__slug=value)


class PersonChangeForm(UserChangeForm):
    """The change form with the roles field limited to ``roles_offered``; the DO roles the
    person already holds are carried over unchanged when the form saves."""

    def clean_roles(self):
        offered = self.cleaned_data.get("roles")
        kept = Role.objects.none()
        if self.instance.pk is not None:
            kept = self.instance.roles.filter(slug__in=roles.DO_TEAM)
        return Role.objects.filter(Q(pk__in=offered) | Q(pk__in=kept))


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = PersonChangeForm
    fieldsets = BaseUserAdmin.fieldsets + (("Footprint", {"fields": ("roles", "team")}),)
    filter_horizontal = ("roles", "groups", "user_permissions")
    list_display = ["username", "first_name", "last_name", "team", "is_active"]
    list_filter = [RoleFilter, "team", "is_active"]

    def lookup_allowed(self, lookup, value, request=None):
        """People are filtered by role only through ``RoleFilter`` (``?role=``): a hand-written
        ``?roles=do-manager`` would list the DO team."""
        if lookup.split("__")[0] == "roles":
            return False
        return super().lookup_allowed(lookup, value, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "roles":
            kwargs["queryset"] = roles_offered()
            kwargs["help_text"] = DO_ROLES_HELP
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and holds_do_role(obj):
            # A new email would receive their notifications (and any reset link).
            fields.append("email")
        return fields

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        if user is not None and holds_do_role(user):
            raise PermissionDenied("A Designated Officer's password cannot be set in the admin.")
        return super().user_change_password(request, id, form_url)

    def get_deleted_objects(self, objs, request):
        if any(holds_do_role(user) for user in objs):
            return [str(user) for user in objs], {}, set(), [HOLDS_DO_ROLE]
        return super().get_deleted_objects(objs, request)


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "parent", "manager"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles are defined in code (``people.roles``; access rules depend on their slugs), so
    they are shown, not added, renamed or deleted; the DO roles are not shown."""

    list_display = ["slug", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(slug__in=roles.DO_TEAM)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

# The admin creates no credentials and shows none: no API token pages (django-rest-knox
# registers one; tokens come only from POST /api/v1/auth/token/, to their owner) and no
# authenticator pages (django-otp's would let an administrator make someone's authenticator
# and see its secret). Removing a lost authenticator: manage.py remove_authenticator.
def _unregister_credentials():
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from knox.models import AuthToken

    from .models import ApiToken

    for model in (AuthToken, ApiToken, TOTPDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_unregister_credentials()
