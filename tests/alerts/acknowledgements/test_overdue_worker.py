"""The overdue sweep for real: `celery -A config worker -B` (beat embedded) against Redis and PostgreSQL.

Beat runs `alerts.acknowledgements_overdue_sweep` every ACK_OVERDUE_SWEEP_SECONDS (1 s here); the
sweep records `acknowledgement.overdue` and queues the reminder e-mail, which the same worker sends
through Django's file-based e-mail backend (EMAIL_URL=filemail://…).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from alerts.models import Acknowledgement, Alert
from exchange.models import Event
from tests.integration.stack import stop_process_group

BASE_DIR = Path(settings.BASE_DIR)
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
WAIT_SECONDS = 30

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.skipif(not BROKER_URL.startswith("redis"), reason="needs Redis (set CELERY_BROKER_URL=redis://…)"),
]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    mail_dir: Path
    log: Path

    def wait_for(self, condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode}):\n{self.log.read_text()[-5000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"not within {seconds} s; worker log:\n{self.log.read_text()[-5000:]}")
            time.sleep(0.25)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    """A worker with embedded beat on the test database, sending e-mail to files in a folder."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_URL": f"filemail:///{mail_dir}",  # django-environ drops one slash: this is the absolute path
        "ACK_OVERDUE_SWEEP_SECONDS": "1",
        "DEBUG": "0",
        "SIGNING_KEYS_SECRET": "a-throw-away-secret-for-the-worker-under-test",  # DEBUG=0 requires one
        "SITE_URL": "https://exchange.example",  # and this
        "LOG_LEVEL": "INFO",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--purge", "--pool", "solo",
         "--schedule", str(tmp_path / "beat-schedule"), "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel", "INFO", "--hostname", f"acks-test-{os.getpid()}@%h"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield Worker(process=process, mail_dir=mail_dir, log=tmp_path / "worker.log")
    finally:
        stop_process_group(process, timeout=20)  # the worker and the beat it started, nothing else
        log.close()


@pytest.mark.django_db(transaction=True)
def test_beat_finds_the_late_member_tells_both_sides_and_mails_its_admins(
    publish: Callable[..., Alert], worker: Worker
) -> None:
    alert = publish(title="Sepsis alerts silently suppressed", severity="critical", affected_jurisdictions=["US"])
    ack = Acknowledgement.objects.get(alert=alert, member__code="FDA")
    Acknowledgement.objects.filter(pk=ack.pk).update(deadline=timezone.now() - timedelta(minutes=5))

    def overdue_events() -> list[Event]:
        return list(Event.objects.filter(type="acknowledgement.overdue", object_id=str(ack.pk)))

    def mails() -> list[str]:
        return [path.read_text() for path in worker.mail_dir.iterdir() if path.stat().st_size > 0]

    worker.wait_for(lambda: bool(overdue_events()))
    worker.wait_for(lambda: bool(mails()))

    events = overdue_events()
    assert len(events) == 1
    assert sorted(events[0].audience.values_list("code", flat=True)) == ["FDA", "MHRA"]
    ack.refresh_from_db()
    assert ack.overdue_notified_at is not None
    messages = mails()
    assert len(messages) == 1
    assert "To: admin@fda.test" in messages[0]
    assert str(alert.reference) in messages[0]
    time.sleep(3)  # beat keeps sweeping every second: nothing is told twice
    assert len(overdue_events()) == 1
    assert len(mails()) == 1
