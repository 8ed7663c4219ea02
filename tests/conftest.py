"""Shared fixtures: the five regulators (personas), an authenticated API caller, fast settings.

Every test that touches the database gets `network`: MHRA (GB), FDA (US), HC (CA), TGA (AU) and
SMC (CH), each with users admin/publisher/assessor/viewer (admin@mhra.test, …), plus the network
secretariat's staff user. `api(user, scopes=None)` issues a fresh Bearer token for the user and
returns a caller whose .get/.post/.put/.patch/.delete send it.

The network is built once per test database (once per session, or per xdist worker), through the
services like any other data, and committed: every test's transaction then rolls back to it, and
`network` reads fresh instances of its rows. A test that touches the database without asking for
`network` sees none of it (its rows are deleted inside that test's transaction). A transactional
test (`transaction=True`, a live server) ends with Django's flush, which empties every table; the
network is built again before the next test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation

from exchange.models import User
from tests.factories import Network, Regulator, token_make
from tests.helpers import ApiCaller
from tests.shared_network import redis_db_of_worker, shared


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    # Only in tests: hashing passwords slowly buys nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production serves hashed names from collectstatic's manifest; tests render pages from a
    # fresh clone where nothing was collected, so they name static files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _default_language() -> None:
    # Django's LocaleMiddleware activates each request's language in the thread and leaves it there
    # (the next request activates its own): a test calling code directly after another test's
    # request in Japanese or French would read that language's words.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # The rate limiter counts in the cache (Redis when REDIS_URL is set): start every test at zero.
    cache.clear()
    yield
    cache.clear()


_shared = shared


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database (pytest-django's), then the network committed in it once."""
    _shared.blocker = django_db_blocker
    _shared.build()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _shared.build_if_flushed()  # before any fixture of this test opens its transaction


@pytest.fixture(autouse=True)
def _network_only_where_asked(request: pytest.FixtureRequest) -> None:
    """A test with the database but without `network` starts without the network's rows."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & names
        or (marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    )
    if transactional:
        _shared.flushed = True  # Django's flush ends this test: the next test gets the network anew
    if "network" in names or not ("db" in names or transactional or marker):
        return
    request.getfixturevalue("db")
    _shared.hide()


@pytest.fixture(params=["postgres", "orm"])
def store(request: pytest.FixtureRequest, settings: Any) -> str:
    """The test runs once with each delivery store (exchange/services/deliveries/store.py), both on the
    test database: the `orm` store is what the embedded SQLite default runs, and it works on PostgreSQL."""
    from django.db import connection

    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres store needs PostgreSQL (set DATABASE_URL=postgres://…)")
    settings.DELIVERY_STORE = request.param
    return str(request.param)


@pytest.fixture
def network(db: None) -> Network:
    return _shared.load()


@pytest.fixture
def mhra(network: Network) -> Regulator:
    return network.mhra


@pytest.fixture
def fda(network: Network) -> Regulator:
    return network.fda


@pytest.fixture
def staff(network: Network) -> User:
    return network.staff


@pytest.fixture
def api(db: None) -> Callable[..., ApiCaller]:
    """`api(user, scopes=None, expires_days=None)`: a caller with a freshly issued token of that user."""

    def make(user: User, scopes: list[str] | None = None, expires_days: int | None = None) -> ApiCaller:
        issued = token_make(user=user, scopes=scopes, expires_days=expires_days)
        return ApiCaller(user=user, token=issued.value)

    return make


@pytest.fixture
def wsgi_keeps_the_test_transaction() -> Iterator[None]:
    """Requests go through the real WSGI handler in this thread, inside the test's transaction.

    Django's handler closes "old" connections at the start and end of every request, which would
    close the test's connection (and roll back its data); the test client avoids it the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def anon() -> ApiCaller:
    """A caller without credentials."""
    return ApiCaller(user=None, token=None)


def pytest_configure(config: pytest.Config) -> None:
    # Each xdist worker has its own test database (pytest-django adds the suffix) and its own
    # Redis database for the cache, which every test clears.
    from django.conf import settings

    location = settings.CACHES["default"].get("LOCATION")
    if isinstance(location, str) and location.startswith("redis"):
        settings.CACHES["default"]["LOCATION"] = redis_db_of_worker(location, settings.CELERY_BROKER_URL)
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL itself (pg_dump, concurrent transactions); skipped elsewhere"
    )
    # WhiteNoise warns once when collectstatic has not run; the tests never need collected assets.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    # The translation catalogues, as the project's set-up compiles them (only those newer than their .mo),
    # so that a plain `pytest` reads the same pages as `make test`.
    if not hasattr(config, "workerinput"):
        import runpy

        runpy.run_path(str(Path(__file__).resolve().parent.parent / "scripts" / "compile_catalogues.py"),
                       run_name="compile_catalogues")["main"]()


# The modules whose tests start processes or a browser, and the xdist group each runs in. pytest 9
# ignores the `item._nodeid` through which pytest-xdist 3.8 tags a test with its `xdist_group`, so
# the controller (which sees node ids only) is given the groups by module instead, below.
XDIST_GROUPS = {
    "tests/e2e/": "e2e",
    "tests/integration/": "integration",
    "tests/alerts/acknowledgements/test_overdue_worker.py": "integration",
}


def xdist_group_of(nodeid: str) -> str | None:
    return next((group for prefix, group in XDIST_GROUPS.items() if nodeid.startswith(prefix)), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under pytest-xdist (`--dist loadgroup`), the tests that start processes or a browser share
    # one worker each, so their session-wide Celery worker, broker and live server start once.
    for item in items:
        for group in ("integration", "e2e"):
            if item.get_closest_marker(group) is not None and xdist_group_of(item.nodeid) != group:
                raise pytest.UsageError(f"{item.nodeid} is marked {group}: add its module to XDIST_GROUPS")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ByModuleGroups(LoadGroupScheduling):
        """`--dist loadgroup` with the groups of XDIST_GROUPS (the largest units are sent first)."""

        def _split_scope(self, nodeid: str) -> str:
            return xdist_group_of(nodeid) or super()._split_scope(nodeid)

    return ByModuleGroups(config, log)


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")
