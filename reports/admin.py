from django.contrib import admin

from .models import RecordingStart


@admin.register(RecordingStart)
class RecordingStartAdmin(admin.ModelAdmin):
    list_display = ["record_type", "began_on", "note"]
