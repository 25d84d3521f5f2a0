from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import DEMO_DEVICE_NAME


class Command(BaseCommand):
    help = (
        "Print the current sign-in code of a demo user's authenticator (embedded mode only; the demo "
        "key is published in the README)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SW_EMBEDDED:
            raise CommandError("demo_otp works only in the embedded mode (SW_EMBEDDED), with the demo data.")
        device = TOTPDevice.objects.filter(
            user__username=options["username"], name=DEMO_DEVICE_NAME, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{options['username']} has no demo authenticator (run seed_demo first).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        if totp.t() <= device.last_t:
            wait = device.step - (int(totp.time) - device.t0) % device.step
            raise CommandError(f"This code was used already: the next one comes in {wait} s.")
        self.stdout.write(f"{totp.token():0{device.digits}d}")
