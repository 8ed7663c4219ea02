# AI Safety Alert Exchange — one image for every process (web, worker, beat).
#   docker build -t ai-safety-alert-exchange .
# The command is chosen per container; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    SAX_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system --gid 10001 sax \
    && useradd --system --uid 10001 --gid sax --home-dir /app --no-create-home --shell /usr/sbin/nologin sax

WORKDIR /app
COPY . /app
RUN pip install -e . \
    && rm -rf /app/var /app/staticfiles \
    && mkdir -p /app/var /app/staticfiles

# Static files are collected at build time (served by whitenoise with DEBUG=0). The keys are
# throw-away values for this one command, never used at run time; the memory broker keeps the
# build from touching /app/var.
RUN SECRET_KEY=build-time-only-collectstatic-not-a-real-secret-key \
    SIGNING_KEYS_SECRET=build-time-only-collectstatic-not-a-real-secret \
    SITE_URL=https://build.invalid CELERY_BROKER_URL=memory:// DEBUG=0 \
    python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R sax:sax /app/var /app/staticfiles

USER sax
EXPOSE 8000

# Health: GET /healthz answers {"status": "ok"} (docker-compose.yml checks it for the web service).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
