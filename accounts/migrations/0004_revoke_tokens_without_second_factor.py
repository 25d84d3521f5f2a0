"""Revoke the live API tokens of users whose role now requires a second factor.

Tokens carried over from DRF (0003) and those made before two-step verification existed were
issued on a password alone: an officer's, supervisor's or administrator's token must come from a
sign-in with a code (POST /api/v1/auth/token with ``otp``).
"""

from django.conf import settings
from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def forwards(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    roles = list(getattr(settings, "SW_REQUIRE_2FA_ROLES", ["officer", "supervisor", "admin"]))
    needs = Q(user__groups__name__in=roles)
    if "admin" in roles:
        needs |= Q(user__is_staff=True) | Q(user__is_superuser=True)
    ids = list(ApiToken.objects.filter(needs, revoked_at=None).values_list("pk", flat=True).distinct())
    ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_drf_tokens_to_api_tokens")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
