from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from agencies.worker import agency_queue_names


class Command(BaseCommand):
    help = (
        "Print the Celery queues of the active agencies, comma-separated, for a worker's -Q option. "
        "The delivery worker (-Q deliveries) adds them by itself; this is for dedicated "
        "pools: celery -A singlewindow worker -Q $(python manage.py agency_queues)"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(",".join(agency_queue_names()))
