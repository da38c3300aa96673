from datetime import date, timedelta

from django.core import mail
from django.core.management import call_command

from cite_emploi.accounts.models import Membership
from tests.accounts.factories import UserFactory
from tests.partners.factories import OrganisationFactory, saved_service


def test_daily_tasks_run_the_stale_service_reminders(db, capsys):
    org = OrganisationFactory()
    Membership.objects.create(user=UserFactory(), organisation=org, role="counsellor")
    saved_service(organisation=org, updated_on=date.today() - timedelta(days=300))
    call_command("daily_tasks")  # the test settings run tasks immediately
    assert len(mail.outbox) == 1
    assert "mis en file" in capsys.readouterr().out
    call_command("daily_tasks", now=True)
    assert len(mail.outbox) == 1  # asked once only
