"""Test settings: the production settings, served over plain HTTP on the test client."""

import os

os.environ.setdefault("HTTPS", "off")

from cite_emploi.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
GEOCODER = {"URL": "", "TIMEOUT": 1.0, "RETRIES": 0}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
