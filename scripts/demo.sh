#!/usr/bin/env bash
# `make demo`: the newcomer's one command. Runs the service on whatever the environment selects —
# with nothing set, the embedded default (SQLite in ./var, Celery's filesystem transport in
# ./var/broker) — loads the demo data, starts a Celery worker (with beat embedded) in the
# background and the development server in the foreground. Ctrl-C stops both.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

VENV="${VENV:-.venv}"
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
PORT="${PORT:-8000}"
export DEBUG="${DEBUG:-1}"
# The demo's webhook endpoint delivers to this service's own receiver on 127.0.0.1: a local,
# plain-http address, which only development settings allow (never set this in production).
export WEBHOOK_ALLOW_PRIVATE_URLS="${WEBHOOK_ALLOW_PRIVATE_URLS:-1}"
RECEIVER_URL="http://127.0.0.1:$PORT/demo/webhook-receiver/"
VAR_DIR="${SAX_VAR_DIR:-$ROOT/var}"
case "$VAR_DIR" in /*) ;; *) VAR_DIR="$ROOT/$VAR_DIR" ;; esac
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    echo "demo: $PY not found; run scripts/bootstrap.sh (or make demo) first" >&2
    exit 1
fi
mkdir -p "$VAR_DIR"
export SAX_VAR_DIR="$VAR_DIR"
# Run from the var directory: whatever a process writes into its working directory (Celery's
# filesystem transport keeps its control folder there) stays out of the repository.
cd "$VAR_DIR"

echo "==> Applying database migrations"
"$PY" "$ROOT/manage.py" migrate --noinput

echo "==> Collecting static files"
"$PY" "$ROOT/manage.py" collectstatic --noinput --verbosity 0

echo "==> Loading demo data (seed_demo; safe to repeat)"
"$PY" "$ROOT/manage.py" seed_demo --webhook-url "$RECEIVER_URL" | tee "$VAR_DIR/demo-credentials.txt"

WORKER_LOG="$VAR_DIR/demo-worker.log"
WORKER_PID=""
cleanup() {
    # The terminal or a pipe may be gone already (Ctrl-C on `make demo | tee ...`): never let a
    # failed write stop the clean-up.
    trap '' PIPE
    trap - EXIT INT TERM
    if [ -n "$WORKER_PID" ] && kill -0 "$WORKER_PID" 2>/dev/null; then
        kill -TERM "$WORKER_PID" 2>/dev/null || true
        echo "==> Stopping the Celery worker (pid $WORKER_PID)" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$WORKER_PID" 2>/dev/null || break
            sleep 0.5
        done
    fi
    # Whatever is left of the worker's process group (pool processes, embedded beat).
    [ -z "$WORKER_PID" ] || kill -KILL -- "-$WORKER_PID" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> Starting a Celery worker with embedded beat (log: $WORKER_LOG)"
# setsid: the worker and its pool processes get their own process group, stopped together.
setsid "$VENV/bin/celery" -A config worker -B --loglevel INFO \
    --schedule "$VAR_DIR/celerybeat-schedule" >"$WORKER_LOG" 2>&1 &
WORKER_PID=$!

# The credentials right above the banner that points at them (seed_demo's progress scrolled past).
echo
sed -n '/^Demo data ready/,$p' "$VAR_DIR/demo-credentials.txt"
cat <<BANNER

    AI Safety Alert Exchange demo
    Portal:           http://127.0.0.1:$PORT/   (sign in as publisher@mhra.example or assessor@fda.example,
                      with the password printed just above this banner)
    Public alerts:    http://127.0.0.1:$PORT/public/alerts/
    Webhooks arrive:  http://127.0.0.1:$PORT/demo/webhook-receiver/  (MHRA's endpoint; log in as admin@mhra.example)
    API docs:         http://127.0.0.1:$PORT/api/docs/
    Health:           http://127.0.0.1:$PORT/healthz
    Demo logins and API tokens: just above this banner (kept in $VAR_DIR/demo-credentials.txt)
    Worker log:       $WORKER_LOG
    Another port:     PORT=8080 make demo
    Stop with Ctrl-C.

BANNER

"$PY" "$ROOT/manage.py" runserver "127.0.0.1:$PORT"
