"""The default reasons for delay and school phases (each authority edits them in the admin),
and the education setting asks for its school phase."""

from django.db import migrations

DELAY_REASONS = [
    ("police-investigation", "Police investigation", "Waiting for the police investigation or a charging decision."),
    ("criminal-proceedings", "Criminal proceedings", "Waiting for a court case to finish."),
    ("employer-investigation", "Employer investigation", "Waiting for the employer's own investigation."),
    ("disciplinary-process", "Disciplinary process", "Waiting for a disciplinary hearing or its outcome."),
    ("section-47-enquiry", "Section 47 enquiry", "Waiting for children's social care's enquiries."),
    ("awaiting-information", "Awaiting information", "Waiting for information from another agency or the employer."),
    ("subject-unavailable", "Subject unavailable", "The person is ill, on leave or cannot be contacted."),
    ("child-unavailable", "Child or family unavailable", "The child or family cannot yet be spoken to."),
    ("regulator-process", "Regulator or DBS process", "Waiting for a regulator's or the DBS's decision."),
    ("complexity", "Complexity", "Several children, allegations or agencies involved."),
    ("other", "Other", "Say why in words."),
]

SCHOOL_PHASES = [
    ("early-years", "Early years", "Nursery classes and school-based early years provision."),
    ("primary", "Primary", "Infant, junior and primary schools."),
    ("middle", "Middle", ""),
    ("secondary", "Secondary", ""),
    ("all-through", "All-through", "A school for pupils of primary and secondary age."),
    ("special", "Special school", "Including special academies and free schools."),
    ("alternative-provision", "Alternative provision", "Including pupil referral units."),
    ("further-education", "Further education", "Sixth form and further education colleges."),
    ("other", "Other", ""),
]


def seed(apps, schema_editor):
    for model, rows in (("DelayReason", DELAY_REASONS), ("SchoolPhase", SCHOOL_PHASES)):
        Model = apps.get_model("lado", model)
        for order, (slug, name, description) in enumerate(rows, start=1):
            Model.objects.get_or_create(slug=slug, defaults={"name": name, "description": description,
                                                             "order": order})
    apps.get_model("lado", "SettingType").objects.filter(slug="education").update(asks_school_phase=True)


def unseed(apps, schema_editor):
    apps.get_model("lado", "SettingType").objects.update(asks_school_phase=False)


class Migration(migrations.Migration):
    dependencies = [("lado", "0018_do_indicators_fields")]
    operations = [migrations.RunPython(seed, unseed)]
