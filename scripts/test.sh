#!/usr/bin/env bash
# The test command's body (make test): browser, database and lint checks, then the suite.
# Tests run on PostgreSQL (TEST_DATABASE_URL, default the local server). In CI (CI=true) a missing
# PostgreSQL, Redis or Chromium fails the run; elsewhere the suite falls back to SQLite and the
# tests that need the full stack are skipped with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "Chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)." >&2
    [ "${CI:-}" = true ] && exit 1
  fi
fi

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/singlewindow}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
if "$BIN/python" scripts/check_services.py; then
  export DATABASE_URL="$TEST_DATABASE_URL"
else
  if [ "${CI:-}" = true ]; then
    echo "CI: PostgreSQL and Redis are required for the test suite." >&2
    exit 1
  fi
  echo "PostgreSQL or Redis unreachable: running on SQLite; full-stack tests will be skipped." >&2
fi

make --no-print-directory lint
"$BIN/python" manage.py compilemessages -l fr --ignore=.venv >/dev/null
"$BIN/python" -m pytest -n "${TEST_WORKERS:-2}" --dist loadgroup "$@"
