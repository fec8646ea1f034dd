"""The national default vocabularies and retention rules; each authority edits them in the admin."""

from django.db import migrations

VOCABULARIES = {
    "ReferralSource": [
        ("education", "Education", ""),
        ("early-years", "Early years", ""),
        ("health", "Health", ""),
        ("police", "Police", ""),
        ("social-care", "Social care", ""),
        ("ofsted", "Ofsted", ""),
        ("employer", "Employer", ""),
        ("parent-carer", "Parent or carer", ""),
        ("child", "Child or young person", ""),
        ("anonymous", "Anonymous", ""),
        ("other", "Other", ""),
    ],
    "Sector": [
        ("public", "Public", "For example a maintained school, the NHS, the police or the council."),
        ("voluntary", "Voluntary", "A charity, community or faith organisation."),
        ("private", "Private", "A business, such as a private nursery or a children's home company."),
        ("independent", "Independent", "For example an independent school or an independent fostering agency."),
    ],
    "SettingType": [
        ("education", "Education", "Schools, colleges, alternative provision."),
        ("early-years", "Early years", "Nurseries, pre-schools, childminders."),
        ("health", "Health", ""),
        ("police", "Police", ""),
        ("social-care", "Social care", ""),
        ("residential-care", "Residential care", "Children's homes and residential schools."),
        ("foster-care", "Foster care", ""),
        ("faith", "Faith", "Places of worship and faith groups."),
        ("sport-leisure", "Sport and leisure", "Clubs, coaching, activity centres."),
        ("transport", "Transport", "School transport, taxi and bus drivers and escorts."),
        ("other", "Other", ""),
    ],
    "EmploymentBasis": [
        ("permanent", "Permanent", ""),
        ("temporary", "Temporary", ""),
        ("agency", "Agency", ""),
        ("volunteer", "Volunteer", ""),
    ],
    "Category": [
        ("physical", "Physical abuse", ""),
        ("sexual", "Sexual abuse", ""),
        ("emotional", "Emotional abuse", ""),
        ("neglect", "Neglect", ""),
        ("suitability", "Suitability (transferable risk)",
         ("Behaviour outside work, or towards other children, that may make the person unsuitable "
          "to work with children.")),
    ],
}

RETENTION = [
    # closure, years, until retirement age if later, note
    ("substantiated", 10, True, "Kept 10 years or until the subject reaches retirement age, if later."),
    ("unsubstantiated", 10, True, "Kept 10 years or until the subject reaches retirement age, if later."),
    ("false", 1, False, "Reviewed for removal after one year."),
    ("malicious", 1, False, "Reviewed for removal after one year."),
    ("unfounded", 1, False, "Reviewed for removal after one year."),
    ("advice-given", 6, False, "Below-threshold consultations."),
    ("cancelled", 6, False, "Withdrawn before an outcome."),
]


def seed(apps, schema_editor):
    for model_name, rows in VOCABULARIES.items():
        model = apps.get_model("lado", model_name)
        for order, (slug, name, description) in enumerate(rows):
            model.objects.update_or_create(
                slug=slug, defaults={"name": name, "description": description, "order": order})
    RetentionRule = apps.get_model("lado", "RetentionRule")
    for closure, years, until_retirement, note in RETENTION:
        RetentionRule.objects.update_or_create(closure=closure, defaults={
            "years": years, "until_retirement": until_retirement, "retirement_age": 67, "note": note})


class Migration(migrations.Migration):
    dependencies = [("lado", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
