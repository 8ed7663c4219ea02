#!/usr/bin/env bash
# End-to-end smoke test of the embedded default: no DATABASE_URL, CELERY_BROKER_URL or REDIS_URL,
# a throw-away SAX_VAR_DIR (SQLite database, filesystem broker, generated SECRET_KEY) and the
# real processes — gunicorn serving config.wsgi with DEBUG=0 and a Celery worker.
#
# Steps: migrate, collectstatic, seed_demo (twice: it must be idempotent), create a member, a user
# and a token with the management commands, start worker and gunicorn, then check /healthz,
# /api/v1/me/ (401 without a token, 200 with one), the OpenAPI schema and the docs page, and that
# the worker receives and completes a task sent through the broker. Exits non-zero with a message
# on the first failure; every process it started is stopped on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
VENV="${VENV:-.venv}"
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
PY="$VENV/bin/python"
STARTUP_TIMEOUT="${SMOKE_STARTUP_TIMEOUT:-60}"
TASK_TIMEOUT="${SMOKE_TASK_TIMEOUT:-60}"

step() { printf '\n--- smoke: %s\n' "$*"; }
fail() {
    printf '\nSMOKE TEST FAILED: %s\n' "$*" >&2
    exit 1
}

[ -x "$PY" ] || fail "$PY not found; run scripts/bootstrap.sh first"
command -v curl >/dev/null || fail "curl is required"

# --- a hermetic embedded environment --------------------------------------------------------------
unset DATABASE_URL CELERY_BROKER_URL REDIS_URL SECRET_KEY ALLOWED_HOSTS STATIC_ROOT \
    SECURE_SSL_REDIRECT SECURE_PROXY_SSL_HEADER EMAIL_URL API_RATE_LIMIT
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sax-smoke.XXXXXX")"
export SAX_VAR_DIR="$WORK/var"
export STATIC_ROOT="$WORK/static"
export DEBUG=0
# DEBUG=0 requires the secret that encrypts signing keys at rest (SPEC §8): a throw-away one here.
SIGNING_KEYS_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SIGNING_KEYS_SECRET
# ... and the public base URL of links and identifiers (SPEC §6).
export SITE_URL="${SITE_URL:-http://127.0.0.1:8000}"
export DJANGO_SETTINGS_MODULE=config.settings
export PYTHONUNBUFFERED=1
mkdir -p "$SAX_VAR_DIR"
WORKER_LOG="$WORK/worker.log"
WEB_LOG="$WORK/gunicorn.log"

PIDS=()
stop_all() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        for log in "$WORKER_LOG" "$WEB_LOG"; do
            if [ -s "$log" ]; then
                printf '\n--- last lines of %s\n' "$log" >&2
                tail -n 40 "$log" >&2
            fi
        done
    fi
    if [ -n "${SMOKE_KEEP:-}" ]; then
        echo "smoke: kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Everything runs from the throw-away directory, so that nothing a process writes into its
# working directory (the filesystem transport's control folder, say) lands in the repository.
cd "$WORK"
manage() { "$PY" "$ROOT/manage.py" "$@"; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# json_get FILE EXPR: evaluate a Python expression over the parsed JSON document `d`.
json_get() {
    "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# --- one-off commands --------------------------------------------------------------------------------
step "migrate (SQLite in $SAX_VAR_DIR)"
manage migrate --noinput >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "migrate failed"; }

step "collectstatic"
manage collectstatic --noinput --verbosity 0 || fail "collectstatic failed"

step "seed_demo"
manage seed_demo >"$WORK/seed1.log" 2>&1 || { cat "$WORK/seed1.log" >&2; fail "seed_demo failed"; }
tail -n 5 "$WORK/seed1.log"
step "seed_demo again (must be idempotent)"
manage seed_demo >"$WORK/seed2.log" 2>&1 || { cat "$WORK/seed2.log" >&2; fail "seed_demo failed when run a second time"; }

step "create_member / create_member_user / issue_token"
manage create_member SMOKE --name "Smoke Test Regulator" --country NZ || fail "create_member failed"
manage create_member_user smoke-admin@smoke.example --member SMOKE --role admin </dev/null \
    || fail "create_member_user failed"
TOKEN="$(manage issue_token smoke-admin@smoke.example)" || fail "issue_token failed"
TOKEN="$(printf '%s' "$TOKEN" | tr -d '\r')"
case "$TOKEN" in
    "" | *" "* | *$'\n'*) fail "issue_token must print the token alone on stdout; got: $TOKEN" ;;
esac
echo "issued a token with prefix ${TOKEN:0:8}..."

step "verify_audit_log"
manage verify_audit_log || fail "verify_audit_log reported a broken chain on a fresh database"

# --- long-running processes --------------------------------------------------------------------------
step "start a Celery worker (filesystem transport)"
setsid "$VENV/bin/celery" -A config worker --loglevel INFO --concurrency 1 \
    --hostname "smoke-$$@%h" >"$WORKER_LOG" 2>&1 &
PIDS+=("$!")
WORKER_PID=$!

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
step "start gunicorn on $BASE"
setsid "$VENV/bin/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 \
    --access-logfile - --error-logfile - >"$WEB_LOG" 2>&1 &
PIDS+=("$!")
WEB_PID=$!

step "wait for /healthz"
deadline=$((SECONDS + STARTUP_TIMEOUT))
until [ "$(curl -s -o "$WORK/healthz.json" -w '%{http_code}' "$BASE/healthz" || true)" = "200" ]; do
    kill -0 "$WEB_PID" 2>/dev/null || fail "gunicorn exited during start-up"
    kill -0 "$WORKER_PID" 2>/dev/null || fail "the Celery worker exited during start-up"
    [ "$SECONDS" -lt "$deadline" ] || fail "/healthz did not answer 200 within ${STARTUP_TIMEOUT}s"
    sleep 0.5
done
[ "$(json_get "$WORK/healthz.json" 'd["status"]')" = "ok" ] || fail "/healthz did not answer {\"status\": \"ok\"}"
echo "healthz ok"

# http_get PATH OUTFILE [curl args...]: prints the status code.
http_get() {
    local path=$1 out=$2
    shift 2
    curl -s -o "$out" -w '%{http_code}' "$@" "$BASE$path" || echo "000"
}

step "GET /api/v1/me/ without credentials answers 401"
code="$(http_get /api/v1/me/ "$WORK/anon.json")"
[ "$code" = "401" ] || fail "GET /api/v1/me/ without a token answered $code, expected 401"

step "GET /api/v1/me/ with the token"
code="$(http_get /api/v1/me/ "$WORK/me.json" -H "Authorization: Bearer $TOKEN")"
[ "$code" = "200" ] || { cat "$WORK/me.json" >&2; fail "GET /api/v1/me/ answered $code, expected 200"; }
member="$(json_get "$WORK/me.json" 'd["member"]["code"]')" || fail "/api/v1/me/ did not answer JSON with member.code"
[ "$member" = "SMOKE" ] || fail "/api/v1/me/ names member $member, expected SMOKE"
echo "me: $(cat "$WORK/me.json")"

step "GET /api/schema/?format=json"
code="$(http_get '/api/schema/?format=json' "$WORK/schema.json")"
[ "$code" = "200" ] || fail "GET /api/schema/?format=json answered $code, expected 200"
version="$(json_get "$WORK/schema.json" 'd["openapi"]')" || fail "the schema is not an OpenAPI JSON document"
echo "OpenAPI $version, $(json_get "$WORK/schema.json" 'len(d["paths"])') paths"

step "GET /api/docs/"
code="$(http_get /api/docs/ "$WORK/docs.html")"
[ "$code" = "200" ] || fail "GET /api/docs/ answered $code, expected 200"
# The docs page loads Swagger UI from the service's own static files (whitenoise, no CDN).
asset="$(grep -o '/static/[^"'"'"' ]*swagger-ui[^"'"'"' ]*\.js' "$WORK/docs.html" | head -n 1 || true)"
if [ -n "$asset" ]; then
    code="$(http_get "$asset" /dev/null)"
    [ "$code" = "200" ] || fail "static asset $asset answered $code, expected 200 (collectstatic/whitenoise)"
    echo "docs page and its asset $asset served"
else
    fail "the docs page references no Swagger UI script under /static/"
fi

step "send a task through the broker and wait for the worker to run it"
task_id="$("$VENV/bin/celery" -A config call exchange.event_dispatch \
    --args='["00000000-0000-0000-0000-000000000000"]' | tail -n 1 | tr -d '[:space:]')" \
    || fail "celery call failed"
[ -n "$task_id" ] || fail "celery call printed no task id"
echo "sent exchange.event_dispatch, task id $task_id"
deadline=$((SECONDS + TASK_TIMEOUT))
until grep -q "exchange.event_dispatch\[$task_id\] succeeded" "$WORKER_LOG"; do
    if grep -q "exchange.event_dispatch\[$task_id\] \(raised\|failed\)" "$WORKER_LOG"; then
        fail "the worker ran task $task_id but it failed"
    fi
    kill -0 "$WORKER_PID" 2>/dev/null || fail "the Celery worker exited"
    [ "$SECONDS" -lt "$deadline" ] || fail "the worker did not complete task $task_id within ${TASK_TIMEOUT}s"
    sleep 0.5
done
grep -q "exchange.event_dispatch\[$task_id\] received" "$WORKER_LOG" \
    || fail "the worker log does not show task $task_id received"
grep "\[$task_id\]" "$WORKER_LOG"

printf '\nsmoke test passed: gunicorn, Celery worker and management commands on the embedded default\n'
