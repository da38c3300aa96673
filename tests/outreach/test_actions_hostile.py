"""Every aller-vers page, crawled from its home: hostile text stays text, POST forms carry their token."""

from datetime import time, timedelta
from urllib.parse import urljoin, urlsplit

from django.utils import timezone

from cite_emploi.outreach import services
from cite_emploi.outreach.models import ActionOrigin
from tests.accounts.factories import member
from tests.crawler import Page
from tests.followup.factories import followed_by, organisation_of
from tests.outreach.factories import OutreachActionFactory, OutreachSeriesFactory, RecruitmentEventFactory


def _crawl(client, start: str) -> dict[str, Page]:
    """The pages of this part only (the whole platform is crawled by tests/test_hostile_input.py)."""
    pages: dict[str, Page] = {}
    queue = [start]
    while queue and len(pages) < 120:
        url = queue.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code < 500, url
        page = pages[url] = Page()
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        body = response.content.decode()
        assert not any(raw in body for raw in RAW), url
        page.feed(body)
        for link in page.links:
            target = urljoin(url, link)
            path = urlsplit(target).path
            if path.startswith(PART) and not path.startswith(EVENTS) and target not in pages:
                queue.append(target.removeprefix("http://testserver"))
    return pages


PART, EVENTS = "/aller-vers/", "/aller-vers/operations/"
HOSTILE = '<script>alert("cite")</script>"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(", "<img src=x onerror")


def test_hostile_text_is_escaped_on_every_page(client, db):
    counsellor = member("counsellor")
    action = OutreachActionFactory(
        title=f"Stand {HOSTILE}",
        description=f"Description {HOSTILE}",
        place_label=f"Lieu {HOSTILE}",
        notes=f"Bilan {HOSTILE}",
        starts_at=timezone.now() - timedelta(days=2),
        created_by=counsellor,
    )
    action.organisations.add(organisation_of(counsellor))
    series = OutreachSeriesFactory(
        title=f"Permanence {HOSTILE}", place_label=f"Salle {HOSTILE}", created_by=counsellor
    )
    services.update_series(
        series,
        by=counsellor,
        data=services.SeriesInput(
            kind=series.kind,
            title=series.title,
            weekday=series.weekday,
            start_time=time(9, 30),
            duration_minutes=series.duration_minutes,
            every_weeks=1,
            starts_on=series.starts_on,
            ends_on=series.ends_on,
            place=services.PlaceInput(qpv=series.qpv, place_label=series.place_label),
        ),
        organisations=[organisation_of(counsellor)],
    )
    RecruitmentEventFactory(title=f"Job dating {HOSTILE}", starts_at=timezone.now())
    person = followed_by(counsellor, first_name=f"Prénom {HOSTILE}")
    ActionOrigin.objects.create(action=action, follow_up=person.follow_up)
    client.force_login(counsellor)
    pages = _crawl(client, "/aller-vers/")
    seen = list(pages)
    assert any(url.startswith(f"/aller-vers/actions/{action.pk}/") for url in seen)
    assert any(url.startswith(f"/aller-vers/permanences/{series.pk}/") for url in seen)
    assert any(url.startswith("/aller-vers/calendrier/") for url in seen)
    for url, page in pages.items():
        for form in page.forms:
            if form["method"] == "post":
                assert form["csrf"], url
