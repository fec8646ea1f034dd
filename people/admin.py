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
