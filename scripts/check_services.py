"""Exit 0 when the PostgreSQL and Redis the tests use answer, 1 (saying which) otherwise."""

from __future__ import annotations

import os
import sys


def main() -> int:
    import psycopg2
    import redis

    ok = True
    try:
        # The maintenance database: the test database itself is created by the suite.
        psycopg2.connect(os.environ["TEST_DATABASE_URL"], dbname="postgres", connect_timeout=3).close()
    except psycopg2.Error as exc:
        print(f"PostgreSQL unreachable: {exc}".strip(), file=sys.stderr)
        ok = False
    try:
        redis.Redis.from_url(os.environ["TEST_REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        print(f"Redis unreachable: {exc}", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
