"""Members and member users: every write goes through here, with its audit entry."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from exchange.choices import MemberStatus, Role
from exchange.errors import Conflict, NotFound, ValidationFailed
from exchange.json_types import JSONObject, JSONValue
from exchange.jurisdictions import jurisdiction_problem
from exchange.models import Member, User
from exchange.selectors import admins_active
from exchange.services.audit import audit_record, audit_record_change
from exchange.services.chain import audited_write
from exchange.services.provenance import NETWORK_CODE, signing_key_create


def _member_state(member: Member) -> JSONObject:
    return {"code": member.code, "name": member.name, "country": member.country, "status": member.status}


def _user_state(user: User) -> JSONObject:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "member": user.member.code if user.member else None,
        "role": user.role,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
    }


def _full_clean(instance: Model, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        errors = exc.message_dict
        first = next(iter(errors.items()))
        raise ValidationFailed(f"{first[0]}: {' '.join(first[1])}", errors=errors) from exc


def _insert_unique(row: Model, taken: Conflict, **key: object) -> None:
    """Insert a row whose unique `key` the caller chose; a key already taken, or taken by a concurrent
    insert before ours commits, is `taken` (the savepoint keeps the caller's transaction usable)."""
    if type(row)._default_manager.filter(**key).exists():
        raise taken
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise taken from exc


@audited_write
def member_create(*, actor: User | None, code: str, name: str, country: str) -> Member:
    code = code.strip().upper()
    member = Member(code=code, name=name.strip(), country=country.strip().upper())
    _full_clean(member)
    if (problem := jurisdiction_problem(member.country)) is not None:
        raise ValidationFailed(f"country: {problem}.", errors={"country": [problem]})
    if code == NETWORK_CODE:
        raise ValidationFailed(
            f"code: {NETWORK_CODE} is reserved for the network's own signing keys.",
            errors={"code": ["reserved"]},
        )
    _insert_unique(member, Conflict(f"A member with code {code} already exists.", errors={"code": ["already exists"]}),
                   code=code)
    audit_record(
        actor=actor, action="member.created", object_type="member", object_id=member.code,
        after=_member_state(member), member_code=member.code,
    )
    signing_key_create(actor=actor, member=member)  # SPEC §8: a member gets a key when it is created
    return member


@audited_write
def member_update(*, actor: User | None, member: Member, **changes: JSONValue) -> Member:
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    before = _member_state(member)
    allowed = {"name", "country", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))} of a member.")
    for field, value in changes.items():
        setattr(member, field, value)
    _full_clean(member)
    if "country" in changes and (problem := jurisdiction_problem(member.country)) is not None:
        raise ValidationFailed(f"country: {problem}.", errors={"country": [problem]})
    member.save(update_fields=[*changes.keys(), "updated_at"])
    after = _member_state(member)
    action = "member.updated"
    if before["status"] != after["status"]:
        action = "member.suspended" if member.status == MemberStatus.SUSPENDED else "member.reinstated"
    audit_record_change(
        actor=actor, action=action, object_type="member", object_id=member.code,
        before=before, after=after, member_code=member.code,
    )
    return member


def member_get(*, code: str) -> Member:
    try:
        return Member.objects.get(code=code.strip().upper())
    except Member.DoesNotExist as exc:
        raise NotFound(f"No member with code {code!r}.", errors={"member": ["unknown member code"]}) from exc


@audited_write
def user_create(
    *,
    actor: User | None,
    email: str,
    member: Member | None,
    role: str,
    password: str | None = None,
    full_name: str = "",
    is_staff: bool = False,
) -> User:
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.", errors={"role": ["unknown role"]}
        )
    user = User(email=email, member=member, role=role, full_name=full_name.strip(), is_staff=is_staff)
    _full_clean(user, exclude=["password"])
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed("password: " + " ".join(exc.messages), errors={"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    _insert_unique(user, Conflict(f"A user with e-mail {email} already exists.", errors={"email": ["already registered"]}),
                   email=email)
    audit_record(actor=actor, action="user.created", object_type="user", object_id=user.pk,
                 after=_user_state(user), member_code=member.code if member else "")
    return user


@audited_write
def user_update(*, actor: User | None, user: User, **changes: JSONValue) -> User:
    user = User.objects.select_for_update(of=("self",)).select_related("member").get(pk=user.pk)
    before = _user_state(user)
    allowed = {"role", "full_name", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))} of a user.")
    if "role" in changes and changes["role"] not in Role.values:
        raise ValidationFailed(f"Unknown role {changes['role']!r}.", errors={"role": ["unknown role"]})
    for field, value in changes.items():
        setattr(user, field, value)
    losing_admin = before["role"] == Role.ADMIN and before["is_active"] and (
        user.role != Role.ADMIN or not user.is_active
    )
    if losing_admin and user.member is not None:
        others = (
            admins_active(member_ids=[user.member.pk]).select_for_update(of=("self",)).exclude(pk=user.pk)
        )
        if not others.exists():
            raise Conflict(
                f"{user.email} is the last active admin of {user.member.code}; appoint another admin first.",
                errors={"role": ["last active admin"]},
            )
    user.save(update_fields=list(changes.keys()))
    audit_record_change(actor=actor, action="user.updated", object_type="user", object_id=user.pk,
                        before=before, after=_user_state(user), member_code=user.member.code if user.member else "")
    return user


@audited_write
def user_password_record(*, actor: User | None, user: User, how: str) -> None:
    """Audit a password change or reset (the hash itself is never recorded)."""
    audit_record(actor=actor, action=f"user.password_{how}", object_type="user", object_id=user.pk,
                 after={"email": user.email}, member_code=user.member.code if user.member else "")
