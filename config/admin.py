"""Footprint's Django admin: reference data and accounts, never Designated Officer records.

The admin is for superusers, who are not the DO team. DO enquiries, their children links, their
timelines and the DO Manager's records are not registered; what remains must not show them
indirectly either. The one page that would is a delete confirmation: Django lists every record
the deletion would remove, change or be blocked by (a Sector "protected by DO enquiry
DO-00042", a person's DO role changes, a child's links to DO enquiries). So every model admin,
Footprint's and the libraries' alike, gets ``HidesDoRecords`` when it is registered
(``FootprintAdminSite.register``): when the deletion touches a DO record, the page names and
counts none of them, says only that the object is linked to records the admin cannot show,
and refuses the deletion.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import router
from django.db.models import Q

#: What a delete page says instead of listing DO records (it names and counts none).
HIDDEN_RECORDS = ("Records that the admin cannot show are linked to this, so it cannot be deleted "
                  "here. It stays until the team that keeps those records unlinks it.")


def any_do_records(model, objs) -> bool:
    """Whether any of ``objs`` (all of ``model``, or its django-simple-history model) is part
    of Designated Officer work: a DO enquiry or anything recorded about one, a read of one, a DO
    import, a notification linking to one, a subject access request about a DO subject, a
    DO role change. The DO vocabularies (sectors, categories ...) are not: they hold no case."""
    from lado.models import Vocabulary

    objs = list(objs)
    if not objs:
        return False
    base = getattr(model, "instance_type", model)  # a historical row reads like its model
    label = base._meta.label_lower
    if base._meta.app_label == "lado":
        return not issubclass(base, Vocabulary)
    if label == "workflows.caseread":
        return any(obj.case_kind.startswith("lado.") for obj in objs)
    if label == "imports.importjob":
        from imports.admin import DO_IMPORT_KINDS

        return any(obj.kind in DO_IMPORT_KINDS for obj in objs)
    if label == "notifications.notification":
        return any((obj.link or "").startswith("/lado/") for obj in objs)
    if label == "subject_access.subjectaccessrequest":
        return any(obj.kind != base.Kind.CHILD or obj.enquiry_id for obj in objs)
    if label in ("subject_access.disclosuredecision", "subject_access.download"):
        from subject_access.models import SubjectAccessRequest

        return SubjectAccessRequest.objects.filter(
            Q(kind=SubjectAccessRequest.Kind.DO_SUBJECT) | Q(enquiry__isnull=False),
            pk__in={obj.request_id for obj in objs}).exists()
    if label == "audit.accesslogview":
        return any(scope in ("do", "both") for obj in objs for scope in obj.scopes.replace(",", " ").split())
    return False


def touches_do_records(objs) -> bool:
    """Whether deleting ``objs`` would delete, change (SET_NULL) or be blocked by (PROTECT) a
    DO record: Django's own collector, as the delete page uses it, then ``any_do_records``."""
    from django.contrib.admin.utils import NestedObjects

    objs = list(objs)
    if not objs:
        return False
    collector = NestedObjects(using=router.db_for_write(objs[0]._meta.model))
    collector.collect(objs)
    found = defaultdict(list)
    for model, instances in collector.model_objs.items():
        found[model].extend(instances)
    for obj in collector.protected:
        found[type(obj)].append(obj)
    for (field, _value), batches in collector.field_updates.items():
        for batch in batches:
            found[field.model].extend(batch)
    return any(any_do_records(model, instances) for model, instances in found.items())


class HidesDoRecords:
    """Mixed into every model admin: a delete page never lists a DO record, and never deletes
    what would take one with it."""

    def get_deleted_objects(self, objs, request):
        if touches_do_records(objs):
            return [str(obj) for obj in objs], {}, set(), [HIDDEN_RECORDS]
        return super().get_deleted_objects(objs, request)


class FootprintAdminSite(admin.AdminSite):
    site_header = "Footprint administration"
    site_title = "Footprint administration"
    index_title = "Reference data and accounts"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, with ``HidesDoRecords`` mixed into the admin class (a
        library's admin included, so no model admin can forget it)."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, HidesDoRecords):
            admin_class = type(admin_class.__name__, (HidesDoRecords, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)


class FootprintAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``FootprintAdminSite`` as ``admin.site``."""

    default_site = "config.admin.FootprintAdminSite"
