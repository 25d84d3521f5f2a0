from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clearance.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo agencies, trader accounts and a user for every role (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the demo users as a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        users = seed_demo()
        if options["json"]:
            self.stdout.write(json.dumps(users))
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} users."))
        for user in users:
            where = user.get("account") or user.get("agency") or ""
            self.stdout.write(f"  {user['username']:<18} {user['password']:<28} {user['role']:<11} {where}")
