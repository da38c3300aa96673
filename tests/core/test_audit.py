from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from tests.accounts.factories import UserFactory


def test_record_keeps_actor_object_and_ip(db, rf):
    user = UserFactory()
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.1")
    entry = audit.record("read", actor=user, obj=user, request=request, reason="test")
    entry.refresh_from_db()
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(user.pk))
    assert entry.ip_address == "203.0.113.7"
    assert entry.detail == {"reason": "test"}


def test_the_audit_log_outlives_its_actor(db):
    user = UserFactory()
    audit.record("update", actor=user, obj=user)
    user.delete()
    assert AuditEntry.objects.get().actor is None
