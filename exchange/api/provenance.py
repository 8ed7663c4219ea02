"""Provenance (SPEC §8): members' public signing keys as a JWKS, and the signed audit checkpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exchange.choices import SigningKeyStatus
from exchange.models import AuditCheckpoint
from exchange.services.checkpoints import checkpoint_render
from exchange.services.provenance import jwks_render, signing_keys_of, signing_owner


class JwkSerializer(serializers.Serializer[Any]):
    kty = serializers.ChoiceField(choices=["OKP"])
    crv = serializers.ChoiceField(choices=["Ed25519"])
    x = serializers.CharField(help_text="The raw Ed25519 public key, base64url (RFC 8037).")
    kid = serializers.CharField()
    use = serializers.ChoiceField(choices=["sig"])
    alg = serializers.ChoiceField(choices=["EdDSA"])
    status = serializers.ChoiceField(
        choices=SigningKeyStatus.choices, help_text="`retired` keys no longer sign but still verify."
    )
    created = serializers.DateTimeField()


class JwksSerializer(serializers.Serializer[Any]):
    keys = JwkSerializer(many=True)


class MemberKeysView(APIView):
    """`members/{code}/keys/`: the member's public keys, newest first; `NETWORK` for the network's own."""

    @extend_schema(operation_id="members_keys_retrieve", responses=JwksSerializer)
    def get(self, request: Request, code: str) -> Response:
        owner = signing_owner(code=code)
        return Response(jwks_render(signing_keys_of(member=owner)))


class CheckpointSerializer(serializers.Serializer[Any]):
    entry_id = serializers.IntegerField(help_text="The newest audit entry the checkpoint covers.")
    entry_hash = serializers.CharField(help_text="That entry's hash.")
    created_at = serializers.DateTimeField()
    jws = serializers.CharField(
        help_text="Compact JWS with detached payload, signed with the NETWORK key, over the RFC 8785 "
                  "canonical JSON of entry_id, entry_hash and created_at."
    )

    def to_representation(self, instance: AuditCheckpoint) -> dict[str, Any]:
        return checkpoint_render(instance)


class AuditCheckpointListView(generics.ListAPIView[AuditCheckpoint]):
    """Signed audit checkpoints, newest first. Keep them: each proves what the log held up to it."""

    queryset = AuditCheckpoint.objects.all()
    serializer_class = CheckpointSerializer
    cursor_ordering = ("-entry_id",)
    filter_backends: list[Any] = []
