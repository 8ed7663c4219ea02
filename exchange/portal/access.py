"""Who may use a portal page: one decorator that mirrors the API's role and scope checks.

Every portal view is wrapped in `member_view(scope)`: the user is signed in, belongs to an active
member, and the role allows the scope (`scopes_for_role`, the same table the API uses). The view
then receives a `Portal` — the user, the member and the scopes — and reads through the selectors,
so that an object the member may not see is a 404 (SPEC §3), never a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import wraps
from types import TracebackType
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from exchange.choices import Scope, scopes_for_role
from exchange.errors import ServiceError, error_paths
from exchange.models import Member, User

P = ParamSpec("P")


@dataclass(frozen=True)
class Portal:
    """The signed-in member user a portal view acts for."""

    user: User
    member: Member
    scopes: frozenset[str]

    def can(self, scope: str) -> bool:
        return scope in self.scopes


def portal_of(request: HttpRequest) -> Portal | None:
    """The portal identity of a request, or None when the user is anonymous or of no member."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated or user.member is None:
        return None
    return Portal(user=user, member=user.member, scopes=scopes_for_role(user.role))


def request_portal(request: HttpRequest) -> Portal:
    portal = portal_of(request)
    if portal is None:
        raise PermissionDenied(gettext("This page is for signed-in users of a member."))
    return portal


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a member (typed), for code that runs behind `member_view`."""
    return request_portal(request).user


def request_member(request: HttpRequest) -> Member:
    """The member the signed-in user acts for (typed), for code that runs behind `member_view`."""
    return request_portal(request).member


def member_view(
    scope: str = Scope.READ,
) -> Callable[[Callable[Concatenate[HttpRequest, Portal, P], HttpResponse]], Callable[..., HttpResponse]]:
    """Require a signed-in user of an active member whose role allows `scope` (SPEC §2 roles)."""

    def decorate(view: Callable[Concatenate[HttpRequest, Portal, P], HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            portal = portal_of(request)
            if portal is None:
                raise PermissionDenied(
                    gettext("This account belongs to no member. Network staff manage members in the Django admin.")
                )
            if not portal.member.is_active:
                raise PermissionDenied(
                    gettext("Member %(code)s is suspended: it can read and receive nothing.") % {"code": portal.member.code}
                )
            if scope and not portal.can(scope):
                raise PermissionDenied(
                    gettext("This page needs the '%(scope)s' permission, which the role '%(role)s' does not have.")
                    % {"scope": scope, "role": portal.user.role}
                )
            response = view(request, portal, *args, **kwargs)
            # Pages show what one member may see: never keep them in a shared or browser cache.
            add_never_cache_headers(response)
            response["Cache-Control"] += ", private"
            return response

        return wrapper

    return decorate


flatten_errors = error_paths  # the one flattener (exchange.errors); kept under the portal's name


def form_add_errors(
    form: Form, errors: Any, *, detail: str = "", field_map: dict[str, str] | None = None
) -> None:
    """Show a service's (or the API serializer's) errors on the form, one message per problem.

    An error whose path names a form field (after `field_map`) goes on that field, where the error
    summary links to it. A service's `detail` is its readable sentence: when it reports a single
    problem, that sentence (without its leading "field: ") is the field's message; errors that name
    no field are told by the detail once, never as raw paths beside it.
    """
    field_map = field_map or {}
    pairs = flatten_errors(errors)
    readable = detail.split(": ", 1)[1] if detail and pairs and detail.startswith(f"{pairs[0][0]}: ") else detail
    unplaced: list[str] = []
    for path, message in pairs:
        head = path.split(".")[0].split("[")[0]
        field = field_map.get(path) or field_map.get(head) or head
        if field and field in form.fields:
            rest = path[len(head):].lstrip(".")
            if len(pairs) == 1 and readable:
                form.add_error(field, readable)
            else:
                form.add_error(field, f"{rest}: {message}" if rest else message)
        else:
            unplaced.append(f"{path}: {message}" if path else message)
    if unplaced and detail:
        form.add_error(None, readable)
    elif unplaced:
        for message in unplaced:
            form.add_error(None, message)
    elif not pairs and detail:
        form.add_error(None, detail)


def form_add_service_error(form: Form, exc: ServiceError, field_map: dict[str, str] | None = None) -> None:
    form_add_errors(form, exc.errors or {}, detail=exc.detail, field_map=field_map)


class service_errors(AbstractContextManager["service_errors"]):
    """Where a service's refusal (`ServiceError`) goes, so that no view writes `except ServiceError`.

    `with service_errors(form):` puts it on the form (one message per field); `with
    service_errors(request):` shows it as the page's error message; `with service_errors():` turns
    it into a 404 (a lookup of something the member may not see). The block is left at the error,
    so a `return redirect(...)` inside it runs only when the service succeeded.
    """

    def __init__(
        self, target: Form | HttpRequest | None = None, *, field_map: dict[str, str] | None = None,
        detail_only: bool = False,
    ) -> None:
        self.target = target
        self.field_map = field_map
        self.detail_only = detail_only
        self.error: ServiceError | None = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        if not isinstance(exc, ServiceError):
            return False
        self.error = exc
        if self.target is None:
            raise Http404(exc.detail) from exc
        if isinstance(self.target, Form) and self.detail_only:
            self.target.add_error(None, exc.detail)
        elif isinstance(self.target, Form):
            form_add_service_error(self.target, exc, field_map=self.field_map)
        else:
            messages.error(self.target, exc.detail)
        return True

    @property
    def failed(self) -> bool:
        return self.error is not None


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL of a form if it stays on this site, else the fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def split_codes(text: str, *, upper: bool = True) -> list[str]:
    """'GB, us;CA' → ['GB', 'US', 'CA']: how the portal takes short lists in one text box."""
    parts = [part.strip() for part in text.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",")]
    return [part.upper() if upper else part for part in parts if part]


def join_codes(values: Iterable[Any]) -> str:
    return ", ".join(str(value) for value in values)
