"""The full stack under test: the real PostgreSQL, a private Redis and a real Celery worker process.

Nothing here touches the machine's shared Redis: each test session starts its own ``redis-server``
on a free port, with persistence off, and tests stop and start it at will ("Redis is down"). As in
production there are two workers: the pipeline worker (default queue) and the delivery worker
(``-Q deliveries``: every agency's delivery queue). Each is a real ``celery worker`` subprocess
(prefork pool, late acknowledgement, the production settings but ``WORKER_ENVIRONMENT``) pointed
at pytest-django's test database and at that Redis; the test process publishes to the same broker
(``task_always_eager`` off for the duration of each test).

Beat is not run. A scheduler process only adds a clock to the tests: what beat does is call the
sweeps, and the tests call the same functions (``Stack.sweep``) at the moment the scenario needs
them, with "stuck for longer than" set to zero. The sweeps publish to the private broker like beat's
task would, and the worker does the work.

No test sleeps to "let things happen": ``wait_until`` polls the database with a deadline and, on
timeout, fails with the worker's log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis as redis_client
from django.db import connection, transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from singlewindow.celery import app as celery_app
from singlewindow.outbox import broker_circuit_reset

from ..concurrency import run_together
from ..conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")

# The workers are started as in production: the pipeline worker on the default queue alone, the
# delivery worker on the deliveries queue, to which it adds every agency's delivery queue by itself
# (agencies.worker), looking for new agencies this often.
AGENCY_QUEUES_REFRESH_SECONDS = "0.5"
# What the workers of the tests do differently from production (ENVIRONMENT, the production
# defaults otherwise): deliveries may go to the local receiver (plain http on 127.0.0.1, allowed
# only by these explicit settings), and a hanging endpoint fails, and a circuit half-opens, in
# about a second rather than 10 s and a minute.
WORKER_ENVIRONMENT = {
    "SW_WEBHOOK_ALLOW_PRIVATE": "true",
    "SW_WEBHOOK_ALLOW_HTTP": "true",
    "SW_WEBHOOK_CONNECT_TIMEOUT": "1",
    "SW_WEBHOOK_READ_TIMEOUT": "1",
    "SW_WEBHOOK_CIRCUIT_FAILURES": "3",
    "SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS": "1",
}

STARTUP_TIMEOUT = 30.0
DEFAULT_TIMEOUT = 20.0

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy (and return that), or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {text}", pytrace=False)
        time.sleep(interval)


def _require(binary: str | Path, what: str) -> str:
    path = shutil.which(str(binary))
    if path is None:
        if IN_CI:
            pytest.fail(f"CI: {what} needs {binary} on PATH", pytrace=False)
        pytest.skip(f"{what} needs {binary} on PATH")
    return path


class RedisServer:
    """A private ``redis-server`` on its own port: no persistence, so a restart loses every message."""

    def __init__(self, workdir: Path) -> None:
        self.binary = _require("redis-server", "the full-stack tests")
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis_client.Redis:
        return redis_client.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)

    def _answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis_client.RedisError:
            return False

    def start(self) -> None:
        assert self.process is None, "redis-server is already running"
        with (self.workdir / "redis.log").open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(self.workdir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._answers, timeout=STARTUP_TIMEOUT, message="redis-server to answer PING")

    def stop(self) -> None:
        """Shut it down; every queued and unacknowledged message is gone with it."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None

    def unacknowledged(self) -> set[bytes]:
        """Delivery tags of messages a worker holds: running, or waiting for their time (ETA)."""
        with self.client() as client:
            return set(client.hkeys("unacked"))

    def idle(self, *, abandoned: Collection[bytes] = ()) -> bool:
        """No message waits in a queue, and none is held but by a worker that was killed.

        A killed worker's messages stay unacknowledged until the visibility timeout (minutes)
        returns them to their queue: the pipeline must not wait for that, and neither do we.
        """
        if self.unacknowledged() - set(abandoned):
            return False
        with self.client() as client:
            return not any(
                client.type(key) == b"list" and client.llen(key) for key in client.scan_iter(count=500)
            )

    def flush(self) -> None:
        with self.client() as client:
            client.flushall()


def database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database, once set up)."""
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{s['NAME']}"


class CeleryWorker:
    """A real ``celery worker`` process; ``kill`` is a crash (SIGKILL to the worker and its pool).

    ``queues`` (``-Q``) makes it another kind of worker: ``deliveries`` is the delivery worker.
    """

    def __init__(
        self, *, broker_url: str, workdir: Path, concurrency: int = 2, queues: str = "", role: str = "worker"
    ) -> None:
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.queues = queues
        self.role = role
        self.log_path = workdir / f"{role}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.nodename = ""

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CELERY_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="singlewindow.settings",
            DATABASE_URL=database_url(),
            CELERY_BROKER_URL=self.broker_url,
            CONN_MAX_AGE="0",
            LOG_LEVEL="WARNING",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",  # quiet: no SMTP in tests
            PYTHONUNBUFFERED="1",
            SW_AGENCY_QUEUES_REFRESH_SECONDS=AGENCY_QUEUES_REFRESH_SECONDS,
            **WORKER_ENVIRONMENT,
        )
        return env

    def start(self) -> None:
        assert self.process is None, "the worker is already running"
        self.nodename = f"itest-{self.role}-{uuid.uuid4().hex[:8]}@localhost"
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            log.write(f"\n===== starting {self.nodename} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "singlewindow",
                    "worker",
                    "-n",
                    self.nodename,
                    "--concurrency",
                    str(self.concurrency),
                    "--pool",
                    "prefork",
                    "-l",
                    "warning",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    *(["-Q", self.queues] if self.queues else []),
                ],
                cwd=ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that a crash takes the pool processes down with it.
                start_new_session=True,
            )
        wait_until(self._answers_ping, timeout=STARTUP_TIMEOUT, interval=0.1, message=self.describe)

    def _answers_ping(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(f"the celery worker exited with {self.process.returncode}\n{self.log_tail()}")
        try:
            replies = celery_app.control.ping(destination=[self.nodename], timeout=0.5)
        except (OSError, redis_client.RedisError, KombuOperationalError):
            # This process's pooled broker connection died with a Redis restart: it reconnects on
            # its next use.
            return False
        return any(self.nodename in reply for reply in replies)

    def wait_alive(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until the process, still the same one, answers a ping (it reconnected to the broker)."""
        assert self.running, f"the celery worker is gone\n{self.log_tail()}"
        wait_until(self._answers_ping, timeout=timeout, interval=0.2, message=self.describe)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: nothing is acknowledged or cleaned up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no worker log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return f"{self.role} log:\n" + "\n".join(text[-lines:])

    def describe(self) -> str:
        return f"the celery worker {self.nodename} to answer\n{self.log_tail()}"


@dataclass
class Stack:
    """What a full-stack test drives: the private Redis, the worker, and beat's sweeps."""

    redis: RedisServer
    worker: CeleryWorker
    abandoned: set[bytes] = field(default_factory=set)
    # The delivery worker: every agency's delivery queue, never in the pipeline worker's pool.
    deliveries: CeleryWorker | None = None

    def kill_worker(self) -> None:
        """Crash the worker; what it held unacknowledged is lost until the visibility timeout."""
        self.worker.kill()
        self.abandoned |= self.redis.unacknowledged()

    def sweep(self) -> None:
        """Do what beat does, now: both periodic re-drives, with "stuck for longer than" at zero.

        The outbox sweep publishes rows the broker never got; the clearance sweep re-enqueues
        declarations the pipeline left behind (a task lost with a killed worker). They run here,
        in the test process, and publish to the private broker as beat's tasks would.
        """
        from django.test import override_settings

        from clearance.tasks import clearance_sweep
        from singlewindow.outbox import outbox_sweep

        outbox_sweep(older_than=timedelta(0))
        with override_settings(SW_STUCK_SECONDS=0):
            clearance_sweep()

    def wait_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until no task waits in a queue or runs: duplicates and late deliveries have all been handled."""
        if not _settles(self.redis, abandoned=self.abandoned, timeout=timeout):
            pytest.fail(f"the workers did not fall idle within {timeout:.0f}s\n{self.logs()}")

    def wait_until(self, predicate: Callable[[], T], *, timeout: float = DEFAULT_TIMEOUT, what: str) -> T:
        return wait_until(predicate, timeout=timeout, message=lambda: f"{what}\n{self.logs()}")

    def logs(self) -> str:
        """The tails of both workers' logs, for a failure message."""
        tails = [self.worker.log_tail()]
        if self.deliveries is not None:
            tails.append(self.deliveries.log_tail())
        return "\n".join(tails)

    def delivery_sweep(self) -> int:
        """Do what beat's delivery sweep does, now, with "stuck for longer than" at zero."""
        from django.test import override_settings

        from agencies.tasks import delivery_sweep

        with override_settings(SW_DELIVERY_STUCK_SECONDS=0):
            return int(delivery_sweep())


def _reset_producer_pool() -> None:
    # The app caches its broker connection pool on first publish; a new broker URL needs a new pool.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def _settles(redis_server: RedisServer, *, abandoned: set[bytes], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Twice, apart: a message moves from its queue to the unacknowledged set in two steps.
        if redis_server.idle(abandoned=abandoned):
            time.sleep(0.05)
            if redis_server.idle(abandoned=abandoned):
                return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_broker(redis_server: RedisServer) -> Iterator[str]:
    """This process's broker is the private Redis (its tasks still run in-process outside ``stack``)."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = redis_server.url
    _reset_producer_pool()
    yield redis_server.url
    celery_app.conf.broker_url = saved
    _reset_producer_pool()


@contextlib.contextmanager
def tasks_published() -> Iterator[None]:
    """Tasks published in this block go to the broker, for the workers, and no longer run in-process.

    Only for one test: a test of another module that runs later in this process must run its tasks
    eagerly again, or the session's worker would do its work behind its back, in its database,
    during the test after it (and hold locks while that test's tables are emptied).
    """
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = saved


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, celery_broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    # Started after the test database exists and stopped before it is dropped (fixture order).
    worker = CeleryWorker(broker_url=celery_broker, workdir=tmp_path_factory.mktemp("worker"))
    worker.start()
    yield worker
    worker.kill()  # nothing it holds matters any more, and a warm shutdown takes seconds


@pytest.fixture(scope="session")
def delivery_worker_process(
    django_db_setup: None, celery_broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """The delivery worker, a process of its own as in production (``-Q deliveries``)."""
    worker = CeleryWorker(
        broker_url=celery_broker,
        workdir=tmp_path_factory.mktemp("deliveries"),
        queues="deliveries",
        role="deliveries",
    )
    worker.start()
    yield worker
    worker.kill()


@pytest.fixture
def stack(
    redis_server: RedisServer,
    celery_worker_process: CeleryWorker,
    delivery_worker_process: CeleryWorker,
    settings: Any,
    transactional_db: None,
) -> Iterator[Stack]:
    """A clean full stack for one test: Redis up and empty, a worker that answers, eager mode off.

    A test that crashes the worker or leaves work in flight (retries waiting for their time) hands
    the next test a fresh worker, so nothing of one test runs during another.
    """
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker_circuit_reset()  # a test that stopped Redis leaves this process's circuit open
    if not redis_server.running:
        redis_server.start()
    redis_server.flush()
    if not celery_worker_process.running:
        celery_worker_process.start()
    if not delivery_worker_process.running:
        delivery_worker_process.start()
    stack = Stack(redis=redis_server, worker=celery_worker_process, deliveries=delivery_worker_process)
    with tasks_published():
        yield stack
    # Nothing of this test may run in the next one (or hold a lock while the tables are emptied):
    # a worker that does not fall idle at once (retries waiting for their time) is replaced.
    if not (
        redis_server.running
        and celery_worker_process.running
        and delivery_worker_process.running
        and _settles(redis_server, abandoned=stack.abandoned)
    ):
        celery_worker_process.kill()
        delivery_worker_process.kill()
    if not redis_server.running:
        redis_server.start()
    redis_server.flush()


# Forcing concurrency: hold a lock the tasks need, let copies pile up on it, then let go -----------


def blocked_backends() -> int:
    """How many sessions on the test database wait for a lock right now (tasks piled up on one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()"
        )
        return int(cursor.fetchone()[0])


@contextlib.contextmanager
def table_locked(table: str) -> Iterator[None]:
    """Block every write to ``table`` (reads go on) until the block exits.

    Tasks that write it stop at their first write, in the middle of their transaction, after all
    their reads: the worst moment for two copies of one task to meet, and the moment a crash is
    most interesting. The lock is held by a thread on its own connection.
    """
    locked, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
                locked.set()
                release.wait(timeout=120)
        except BaseException as exc:  # reported in the test's thread below
            failures.append(exc)
            locked.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold, name=f"lock {table}", daemon=True)
    holder.start()
    locked.wait(timeout=30)
    if failures:
        raise failures[0]
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment (like two web processes); their answers, or the first failure."""
    answers, failures = run_together(calls)
    if failures:
        raise failures[0]
    return answers


# An agency's own back-office system -------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A tiny HTTP server standing in for agencies' systems; each path answers the status set for it.

    A path set to ``hang`` accepts the connection, reads the request and never answers, until
    ``recover`` (then it drops the connection it held and answers the next ones).
    """

    def __init__(self) -> None:
        self.status: dict[str, int] = {}
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.hanging: set[str] = set()
        self.unhang = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    code = receiver.status.get(self.path, 404)
                    hang = self.path in receiver.hanging
                if hang:
                    receiver.unhang.wait(timeout=120)
                    self.close_connection = True
                    return
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, *, status: int) -> str:
        self.status[path] = status
        return f"{self.base}{path}"

    def hang(self, path: str) -> str:
        """The URL of an endpoint that takes every request and never answers."""
        with self.lock:
            self.hanging.add(path)
            self.unhang.clear()
        return f"{self.base}{path}"

    def recover(self, path: str, *, status: int = 200) -> None:
        with self.lock:
            self.hanging.discard(path)
            self.status[path] = status
        self.unhang.set()

    def requests_to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.unhang.set()
    receiver.server.shutdown()
    receiver.server.server_close()


# Figures of the fault tests: each records one row (``record_property(FAULT_FIGURES, {...})``); the
# run ends with a table of them, also written as JSON where SW_FAULTS_JSON names a file.

FAULT_FIGURES = "fault_figures"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rows = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == FAULT_FIGURES
    ]
    if not rows:
        return
    terminalreporter.section("faults injected while work was in flight")
    columns = ("fault", "lodged", "released", "lost", "duplicated", "drain_seconds")
    terminalreporter.write_line(f"{columns[0]:<46}" + "".join(f"{c:>14}" for c in columns[1:]))
    for row in sorted(rows, key=lambda r: str(r["fault"])):
        cells = "".join(f"{row[c]:>14}" for c in columns[1:])
        terminalreporter.write_line(f"{str(row['fault'])[:45]:<46}{cells}")
    path = os.environ.get("SW_FAULTS_JSON")
    if path:
        import json

        Path(path).write_text(json.dumps(sorted(rows, key=lambda r: str(r["fault"])), indent=2) + "\n")
