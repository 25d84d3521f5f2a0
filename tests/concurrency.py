"""Running calls at the same moment from separate threads, as two web processes or two beats would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection


def run_together(calls: Sequence[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Start every call in its own thread, released together; their results and what they raised.

    Results come in the order the calls finished. Each thread closes its own database connection.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    failures: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except BaseException as exc:  # handed back to the test, which asserts on it
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, failures
