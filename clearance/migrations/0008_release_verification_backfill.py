"""Every release decided before verification codes existed gets one (its note can then be checked)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from clearance.verification import verification_code_new

    ReleaseDecision = apps.get_model("clearance", "ReleaseDecision")
    for decision in ReleaseDecision.objects.filter(outcome="released", verification_code__isnull=True).only("pk"):
        ReleaseDecision.objects.filter(pk=decision.pk).update(verification_code=verification_code_new())


class Migration(migrations.Migration):
    dependencies = [("clearance", "0007_post_clearance_audit")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
