"""The five regulators built once per test database and shared by every test (see tests/conftest.py).

Building the network is 26 audited writes; doing it in every test was most of the suite's
database time. `SharedNetwork.build()` commits it once, records which rows it added, and
`hide()` deletes exactly those rows inside the transaction of a test that did not ask for it.
"""

from __future__ import annotations

import os
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Model

from exchange.models import Member
from tests.factories import REGULATORS, Network, network_load, network_make


def _rows() -> dict[type[Model], set[Any]]:
    return {
        model: set(model._base_manager.values_list("pk", flat=True))
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _referrers_first(models: list[type[Model]]) -> list[type[Model]]:
    """The models ordered so that a row is deleted before the rows it references."""
    ordered: list[type[Model]] = []
    left = list(models)
    while left:
        referenced = {
            field.related_model
            for model in left
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is not model
        }
        free = [model for model in left if model not in referenced] or left[:1]
        ordered.extend(free)
        left = [model for model in left if model not in free]
    return ordered


class SharedNetwork:
    def __init__(self) -> None:
        self.blocker: Any = None  # pytest-django's django_db_blocker, once the test database exists
        self.flushed = False  # a transactional test ran: its flush emptied every table
        self.added: dict[type[Model], set[Any]] = {}

    def build(self) -> None:
        with self.blocker.unblock():
            if Member.objects.filter(code=REGULATORS[0][0]).exists():  # a reused database: start empty
                call_command("flush", interactive=False, verbosity=0)
            before = _rows()
            with transaction.atomic():
                network_make()
                # Inside a test nothing the network queued on commit ever ran (the test's transaction
                # is rolled back); keep it so.
                connection.run_on_commit.clear()
            after = _rows()
        added = {model: after[model] - before[model] for model in after if after[model] - before[model]}
        self.added = {model: added[model] for model in _referrers_first(list(added))}
        self.flushed = False

    def build_if_flushed(self) -> None:
        if self.flushed and self.blocker is not None:
            self.build()

    def hide(self) -> None:
        """Delete the network's rows in the current test's transaction (rolled back after it)."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, pks in self.added.items():
                meta = model._meta
                column = str(meta.pk.column)
                placeholders = ", ".join(["%s"] * len(pks))
                cursor.execute(
                    f"DELETE FROM {quote(meta.db_table)} WHERE {quote(column)} IN ({placeholders})",  # noqa: S608
                    list(pks),
                )

    def load(self) -> Network:
        return network_load()

    def flush(self) -> None:
        """Empty every table (what a process outside the tests left committed goes too); the next test
        gets the network anew."""
        with self.blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
        self.flushed = True


shared = SharedNetwork()  # the one per test process (tests/conftest.py wires it to pytest-django)


def redis_db_of_worker(url: str, broker_url: str) -> str:
    """`url` with a Redis database of this xdist worker's own (never the broker's)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, number = url.rpartition("/")
    if not number.isdigit():
        return url
    broker_base, _, broker_number = broker_url.rpartition("/")
    broker_db = broker_number if broker_base == base else ""
    candidates = [db for db in ((int(number) + step) % 16 for step in range(16)) if str(db) != broker_db]
    return f"{base}/{candidates[int(worker[2:]) % len(candidates)]}"
