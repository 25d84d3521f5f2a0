from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clearance.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo agencies, trader accounts and a user for every role (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the demo users as a JSON list")
        parser.add_argument(
            "--auto-decide",
            action="store_true",
            help="every agency decides automatically (benchmarks and unattended demos)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = seed_demo(auto_decide=options["auto_decide"])
        if options["json"]:
            self.stdout.write(json.dumps(users))
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} users."))
        for user in users:
            where = user.get("account") or user.get("agency") or ""
            self.stdout.write(f"  {user['username']:<18} {user['password']:<28} {user['role']:<11} {where}")
