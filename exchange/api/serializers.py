"""Shapes of the network resources: me, members, users, tokens (SPEC Appendix A)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from exchange.choices import Role, Scope, sorted_scopes
from exchange.models import ApiToken, Member, User


class MemberSerializer(serializers.ModelSerializer[Member]):
    class Meta:
        model = Member
        fields = ("code", "name", "country", "status")
        read_only_fields = fields


class MemberBriefSerializer(serializers.ModelSerializer[Member]):
    class Meta:
        model = Member
        fields = ("code", "name", "country")
        read_only_fields = fields


class MeSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    member = MemberBriefSerializer(allow_null=True)
    is_staff = serializers.BooleanField()


class UserSerializer(serializers.ModelSerializer[User]):
    member: serializers.SlugRelatedField[Member] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = User
        fields = ("id", "email", "full_name", "role", "member", "is_active", "date_joined", "last_login")
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(
        max_length=128, required=False, write_only=True, help_text="Optional: without one the user cannot sign in "
        "to the portal until a password is set (API tokens still work).",
    )


class UserUpdateSerializer(serializers.Serializer[Any]):
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="email", read_only=True)
    scopes = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = (
            "id", "name", "user", "key_prefix", "scopes", "created_at", "expires_at", "revoked_at",
            "last_used_at", "is_active",
        )
        read_only_fields = fields

    def get_scopes(self, token: ApiToken) -> list[str]:
        return sorted_scopes(list(token.scopes))

    def get_is_active(self, token: ApiToken) -> bool:
        return token.revoked_at is None and not token.is_expired()


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The secret. Shown in this response only; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = (*TokenSerializer.Meta.fields, "token")  # type: ignore[assignment]


class TokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    user = serializers.EmailField(
        required=False, help_text="E-mail of a user of your member; defaults to the caller."
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), required=False, allow_empty=False,
        help_text="Defaults to every scope the user's role allows.",
    )
    expires_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)



class WholeItem:
    """Mixin for a serializer nested in another (an item of `affected_tools`, `identifiers`, …): each
    item present is validated whole, exactly as on creation, also inside a partial update.

    DRF's fields skip a missing required value whenever the *root* serializer is partial, nested ones
    included, so `PATCH {"affected_tools": [{}]}` would pass items without their required keys to the
    service. A partial update may leave out a whole field; an item it sends is an item, so it is
    validated by a standalone copy of its serializer (its own root, never partial).
    `tests/api/test_partial_updates.py` checks that every nested serializer of the API uses this.
    """

    def run_validation(self, data: Any = empty) -> Any:
        this: Any = self
        if data is not empty and this.parent is not None and getattr(this.root, "partial", False):
            whole = type(this)(data=data, context=this.context)
            whole.is_valid(raise_exception=True)
            return whole.validated_data
        return super().run_validation(data)  # type: ignore[misc]


class TypedField:
    """A field that only gives its input a type, for a service that checks the values itself (so
    that its messages reach the caller). `shown_as` is the field the schema shows, with its help
    text: the values that service accepts (vocabulary, lengths, format). See config/schema.py."""

    def __init__(self, *args: Any, shown_as: serializers.Field[Any, Any, Any, Any], **kwargs: Any) -> None:
        self.shown_as = shown_as
        super().__init__(*args, **kwargs)


class TypedString(TypedField, serializers.CharField):
    """A string as sent (not trimmed: the service decides), or blank or null where the field shown allows them."""

    def __init__(self, *, shown_as: serializers.CharField | serializers.ChoiceField, **kwargs: Any) -> None:
        super().__init__(shown_as=shown_as, allow_blank=shown_as.allow_blank, allow_null=shown_as.allow_null,
                         trim_whitespace=False, **kwargs)


class TypedStrings(TypedField, serializers.ListField):
    """A list of strings as sent, blank ones too, which the service refuses by name."""

    def __init__(self, *, shown_as: serializers.ListField, **kwargs: Any) -> None:
        super().__init__(shown_as=shown_as, child=serializers.CharField(allow_blank=True, trim_whitespace=False), **kwargs)
