from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """What was imported, by whom and with what outcome; read-only (jobs are run, not edited)."""

    list_display = ("filename", "kind", "uploaded_by", "status", "rows", "created", "updated", "queued_at")
    list_filter = ("kind", "status")
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
