from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearance.demo import DEMO_OTP_SECRET, seed_demo
from singlewindow.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create the demo agencies, trader accounts and a user for every role (idempotent). "
        "Embedded mode only: the demo passwords, the administrator's among them, are published."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the demo users as a JSON list")
        parser.add_argument(
            "--auto-decide",
            action="store_true",
            help="every agency decides automatically (benchmarks and unattended demos)",
        )
        parser.add_argument(
            "--force-outside-embedded",
            action="store_true",
            help="seed even outside the embedded mode (a throwaway database only: the passwords are public)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        forced = options["force_outside_embedded"]
        if forced and not settings.SW_EMBEDDED:
            self.stderr.write(
                self.style.ERROR(
                    "WARNING: creating demo users with PUBLISHED passwords, a superuser 'admin' among them, "
                    "outside the embedded mode. Never do this on a database anyone else can reach."
                )
            )
        try:
            users = seed_demo(auto_decide=options["auto_decide"], outside_embedded=forced)
        except DomainError as error:
            raise CommandError(f"{error.message} (--force-outside-embedded overrides this.)") from error
        if options["json"]:
            self.stdout.write(json.dumps(users))
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} users."))
        for user in users:
            where = user.get("account") or user.get("agency") or ""
            self.stdout.write(f"  {user['username']:<18} {user['password']:<28} {user['role']:<11} {where}")
        if any("otp_secret" in user for user in users):
            self.stdout.write(
                "Officers, the supervisor and the administrator also sign in with a code: add the key "
                f"{DEMO_OTP_SECRET} to an authenticator app, or run `python manage.py demo_otp USERNAME`."
            )
