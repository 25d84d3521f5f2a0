from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from agencies.models import Agency


class Command(BaseCommand):
    help = (
        "Print the Celery queues of the active agencies, comma-separated, for a worker's -Q option: "
        "celery -A singlewindow worker -Q celery,$(python manage.py agency_queues)"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queues = [a.queue_name for a in Agency.objects.filter(is_active=True).order_by("code")]
        self.stdout.write(",".join(queues))
