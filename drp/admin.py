"""Reference data for the DRP, edited by the authority: the ladder, the themes, the impact
codes, and the partner agencies with their contacts.

DRPs themselves are changed only through the services (pages and API), never in the admin,
so every change passes the state machine and lands on the timeline."""

from django.conf import settings
from django.contrib import admin, messages

from people import roles
from people.models import Role

from . import clocks
from .models import AgencyContact, ImpactCode, PartnerAgency, Stage, Theme


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["order", "key", "name", "addressed_to_roles", "working_days", "is_formal"]
    list_display_links = ["key"]
    list_editable = ["name", "working_days"]
    filter_horizontal = ["addressed_to"]
    ordering = ["order"]

    @admin.display(description="Addressed to")
    def addressed_to_roles(self, stage):
        return ", ".join(role.name for role in stage.addressed_to.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("addressed_to")

    def changelist_view(self, request, extra_context=None):
        """Say what the formal stages add up to, and warn when that is over the overall limit
        (each formal stage's deadline is then cut short at the overall deadline)."""
        if request.method == "GET":
            stages = list(Stage.objects.all())
            total = clocks.formal_ladder_total(stages)
            limit = settings.DRP_OVERALL_WORKING_DAYS
            if clocks.ladder_fits(stages):
                self.message_user(request, f"The formal stages add up to {total} working days, "
                                           f"within the overall limit of {limit}.", messages.INFO)
            else:
                self.message_user(
                    request, f"The formal stages add up to {total} working days, more than the "
                             f"overall limit of {limit} (IRO Handbook 6.2). A DRP escalated "
                             "through every stage will have later stages' deadlines cut short at "
                             "the overall deadline.", messages.WARNING)
        return super().changelist_view(request, extra_context)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # A DRP is answered by the social-care line, never by the Designated Officer team, and
        # the admin offers no DO role anywhere.
        if db_field.name == "addressed_to":
            kwargs["queryset"] = Role.objects.exclude(slug__in=roles.DO_TEAM)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    list_editable = ["active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(ImpactCode)
class ImpactCodeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "active"]
    list_editable = ["order", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "active"]
    list_editable = ["order", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(AgencyContact)
class AgencyContactAdmin(admin.ModelAdmin):
    """A contact who owns actions is kept (made inactive, not deleted), so the record of who
    was asked stays."""

    list_display = ["name", "agency", "job_title", "email", "active"]
    list_filter = ["agency", "active"]
    search_fields = ["name", "email", "job_title"]
