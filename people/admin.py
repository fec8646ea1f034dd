from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Role, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Footprint", {"fields": ("roles", "team")}),)
    filter_horizontal = ("roles", "groups", "user_permissions")
    list_display = ["username", "first_name", "last_name", "team", "is_active"]
    list_filter = ["roles", "team", "is_active"]


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "parent", "manager"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]


# The admin creates no credentials and shows none: no API token pages (django-rest-knox
# registers one; tokens come only from POST /api/auth/token/, to their owner) and no
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
