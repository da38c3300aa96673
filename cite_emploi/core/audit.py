"""One entry point to record who read or wrote what: every personal-data access goes through it."""

from django.db import models

from .models import AuditEntry


def client_ip(request) -> str | None:
    # Behind the reverse proxy, REMOTE_ADDR is the proxy; the deployment guide sets the header.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    territory_id: int | None = None,
    request=None,
    **detail,
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        territory_id=territory_id,
        detail=detail,
        ip_address=client_ip(request) if request is not None else None,
    )
