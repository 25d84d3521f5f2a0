"""Carry DRF authtoken keys over as hashed ApiTokens, so existing clients keep working until they expire."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("accounts", "ApiToken")
    expires = timezone.now() + timedelta(days=settings.SW_TOKEN_TTL_DAYS)
    for token in Token.objects.all().iterator():
        ApiToken.objects.create(
            user_id=token.user_id,
            name="API sign-in",
            prefix=token.key[:8],
            key_hash=hashlib.sha256(token.key.encode()).hexdigest(),
            expires_at=expires,
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
