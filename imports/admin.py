from django.contrib import admin

from .models import ImportJob

#: The import kind of Designated Officer records (``imports.services.LADO``). Their jobs hold
#: a DO file's name and, in their errors, its cell values: DO data, which the admin never shows.
DO_IMPORT_KINDS = ("lado",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """What was imported, by whom and with what outcome; read-only (jobs are run, not edited).
    Designated Officer imports are not listed here (their uploader sees them in the app)."""

    list_display = ("filename", "kind", "uploaded_by", "status", "rows", "created", "updated", "queued_at")
    list_filter = ("kind", "status")
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(kind__in=DO_IMPORT_KINDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
