"""Test data, created through the services so that every row has its audit entry.

Plain keyword-only functions named like the services they call; each fills in realistic defaults
and a unique suffix where the registry refuses duplicates.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from alerts.models import Authorization, Tool
from alerts.services.tools import authorization_record, tool_register
from exchange.choices import ROLE_ORDER
from exchange.models import ApiToken, Member, User
from exchange.services.members import member_create, user_create
from exchange.services.tokens import IssuedToken, token_issue

_counter = itertools.count(1)


def unique(prefix: str = "") -> str:
    """A short suffix that never repeats within a test session."""
    return f"{prefix}{next(_counter):05d}"


# The five regulators every test can rely on (SPEC §1): code, name, country.
REGULATORS: tuple[tuple[str, str, str], ...] = (
    ("MHRA", "Medicines and Healthcare products Regulatory Agency", "GB"),
    ("FDA", "U.S. Food and Drug Administration", "US"),
    ("HC", "Health Canada", "CA"),
    ("TGA", "Therapeutic Goods Administration", "AU"),
    ("SMC", "Swissmedic", "CH"),
)
ROLES: tuple[str, ...] = tuple(str(role) for role in ROLE_ORDER)  # viewer, assessor, publisher, admin
STAFF_EMAIL = "secretariat@network.test"


def member_make(*, code: str | None = None, name: str | None = None, country: str = "GB") -> Member:
    code = code or unique("M")
    return member_create(actor=None, code=code, name=name or f"Regulator {code}", country=country)


def user_make(
    *,
    member: Member | None,
    role: str = "viewer",
    email: str | None = None,
    password: str | None = None,
    is_staff: bool = False,
    actor: User | None = None,
) -> User:
    email = email or f"{unique('user')}@{(member.code.lower() if member else 'network')}.test"
    return user_create(
        actor=actor, email=email, member=member, role=role, password=password, is_staff=is_staff,
        full_name=email.split("@")[0].title(),
    )


def token_make(
    *, user: User, scopes: list[str] | None = None, expires_days: int | None = None, name: str = "test token"
) -> IssuedToken:
    return token_issue(actor=user, user=user, name=name, scopes=scopes, expires_days=expires_days)


def tool_make(
    *,
    actor: User,
    name: str | None = None,
    manufacturer: str = "Quillfeather Imaging Ltd",
    clinical_area: str = "radiology",
    intended_purpose: str = "Flags suspected lung nodules on chest CT for radiologist review",
    identifiers: list[dict[str, str]] | None = None,
) -> Tool:
    return tool_register(
        actor=actor,
        name=name or unique("LungScan AI "),
        manufacturer=manufacturer,
        clinical_area=clinical_area,
        intended_purpose=intended_purpose,
        identifiers=identifiers if identifiers is not None else [{"system": "fda-510k", "value": unique("K")}],
    )


def authorization_make(
    *,
    actor: User,
    tool: Tool,
    jurisdiction: str | None = None,
    reference: str | None = None,
    status: str = "authorised",
    baseline: list[dict[str, Any]] | None = None,
) -> Authorization:
    jurisdiction = jurisdiction or (actor.member.country if actor.member else "GB")
    return authorization_record(
        actor=actor,
        tool=tool,
        jurisdiction=jurisdiction,
        reference=reference or unique(f"{jurisdiction}-AI-"),
        date=date(2025, 3, 1),
        status=status,
        baseline=baseline
        if baseline is not None
        else [{"metric": "sensitivity", "value": 0.92}, {"metric": "specificity", "value": 0.88}],
    )


def tool_authorised_make(*, network: Network, by: tuple[str, ...] = ("MHRA", "FDA")) -> Tool:
    """A LungScan AI registered by MHRA and authorised by each member of `by` in its own jurisdiction."""
    tool = tool_make(actor=network.mhra.publisher)
    for code in by:
        authorization_make(actor=network[code].publisher, tool=tool)
    return tool


@dataclass
class Regulator:
    """One member with a user of every role (e-mails like publisher@mhra.test)."""

    member: Member
    users: dict[str, User] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.member.code

    @property
    def country(self) -> str:
        return self.member.country

    @property
    def admin(self) -> User:
        return self.users["admin"]

    @property
    def publisher(self) -> User:
        return self.users["publisher"]

    @property
    def assessor(self) -> User:
        return self.users["assessor"]

    @property
    def viewer(self) -> User:
        return self.users["viewer"]


@dataclass
class Network:
    """The five regulators and the secretariat's staff user."""

    regulators: dict[str, Regulator]
    staff: User

    def __getitem__(self, code: str) -> Regulator:
        return self.regulators[code]

    def __iter__(self) -> Iterator[Regulator]:
        return iter(self.regulators.values())

    @property
    def mhra(self) -> Regulator:
        return self.regulators["MHRA"]

    @property
    def fda(self) -> Regulator:
        return self.regulators["FDA"]

    @property
    def hc(self) -> Regulator:
        return self.regulators["HC"]

    @property
    def tga(self) -> Regulator:
        return self.regulators["TGA"]

    @property
    def smc(self) -> Regulator:
        return self.regulators["SMC"]


def regulator_make(*, code: str, name: str, country: str) -> Regulator:
    member = member_create(actor=None, code=code, name=name, country=country)
    regulator = Regulator(member=member)
    for role in ROLES:
        regulator.users[role] = user_create(
            actor=None, email=f"{role}@{code.lower()}.test", member=member, role=role,
            full_name=f"{code} {role.title()}",
        )
    return regulator


def network_make() -> Network:
    regulators = {code: regulator_make(code=code, name=name, country=country) for code, name, country in REGULATORS}
    staff = user_create(
        actor=None, email=STAFF_EMAIL, member=None, role="viewer", is_staff=True, full_name="Network Secretariat"
    )
    return Network(regulators=regulators, staff=staff)


def network_load() -> Network:
    """The network `network_make()` built, read afresh (every user's `member` is its regulator's instance)."""
    members = {member.code: member for member in Member.objects.filter(code__in=[code for code, _, _ in REGULATORS])}
    emails = [f"{role}@{code.lower()}.test" for code, _, _ in REGULATORS for role in ROLES]
    users = {user.email: user for user in User.objects.filter(email__in=[*emails, STAFF_EMAIL])}
    regulators: dict[str, Regulator] = {}
    for code, _, _ in REGULATORS:
        regulator = regulators[code] = Regulator(member=members[code])
        for role in ROLES:
            user = users[f"{role}@{code.lower()}.test"]
            user.member = regulator.member
            regulator.users[role] = user
    return Network(regulators=regulators, staff=users[STAFF_EMAIL])


def token_of(value: str) -> ApiToken:
    from exchange.services.tokens import token_hash

    return ApiToken.objects.get(key_hash=token_hash(value))
