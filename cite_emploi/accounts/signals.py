"""Logins, failures and logouts go to the audit log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cite_emploi.core import audit


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record("login", actor=user, obj=user, request=request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("logout", actor=user, obj=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Only the e-mail typed is kept, never the password.
    audit.record(
        "login_failed",
        object_type="accounts.user",
        request=request,
        email=str(credentials.get("username", ""))[:254],
    )
