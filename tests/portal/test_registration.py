"""A visitor without an account registers for a public event on the portal, and cancels.

Everything from outside: the Django test client posts the form as a browser would; what is
checked is the database, the page the visitor gets, and what the bureau and the organiser see.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.base import client_for
from tests.liaison import factories as lf
from xiake.liaison.models import Registration

pytestmark = pytest.mark.django_db

VALID = {
    "attendee_name": "王晓东",
    "organisation": "南京汇智新材料科技有限公司",
    "phone": "139 1234 5678",
    "email": "Wang.XD@example.com",
    "consent": "on",
    "website": "",
}


def register(client, event, **changes):
    return client.post(reverse("portal:event", args=[event.pk]), {**VALID, **changes})


def places(event):
    event.refresh_from_db()
    return event.registered_count


def test_a_visitor_registers_and_gets_a_reference(orgs):
    event = lf.make_event(orgs["university"], title="公益大讲堂：专利导航", capacity=30)
    visitor = client_for()
    page = visitor.get(reverse("portal:event", args=[event.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "公益大讲堂：专利导航" in html
    for name in ("attendee_name", "organisation", "phone", "email", "consent", "website"):
        ident = re.search(rf'name="{name}"[^>]*id="([\w-]+)"', html).group(1)
        assert f'for="{ident}"' in html, f"{name} has no label"
    response = register(visitor, event)
    assert response.status_code == 302
    reg = Registration.objects.get(event=event)
    assert response["Location"] == reverse("portal:registration_done", args=[reg.reference])
    assert reg.kind == "visitor" and reg.user is None and reg.enterprise is None
    assert reg.phone == "13912345678" and reg.email == "wang.xd@example.com"
    assert reg.organisation == "南京汇智新材料科技有限公司" and reg.consent_at is not None
    assert places(event) == 1
    done = visitor.get(response["Location"]).content.decode()
    ref = re.search(r'data-testid="reference">([A-Z0-9-]+)<', done).group(1)
    assert ref.replace("-", "") == reg.reference and len(reg.reference) == 10
    assert "13912345678" not in done and "139****5678" in done
    assert "no-store" in visitor.get(response["Location"])["Cache-Control"]


def test_invalid_fields_are_named_and_nothing_is_written(orgs):
    event = lf.make_event(orgs["university"])
    visitor = client_for()
    empty = visitor.post(reverse("portal:event", args=[event.pk]), {})
    assert empty.status_code == 400
    errors = empty.context["form"].errors
    assert set(errors) == {"attendee_name", "organisation", "phone", "consent"}
    html = empty.content.decode()
    assert "请填写参加人姓名" in html or "Enter the name of the person who will attend." in html
    assert 'aria-invalid="true"' in html
    bad = register(visitor, event, phone="12345", email="not-an-address")
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"phone", "email"}
    assert Registration.objects.count() == 0 and places(event) == 0


def test_landline_with_area_code_is_accepted(orgs):
    event = lf.make_event(orgs["university"])
    assert register(client_for(), event, phone="025-8555 1234", email="").status_code == 302
    assert Registration.objects.get().phone == "02585551234"


def test_a_full_event_is_refused_with_a_message(orgs):
    event = lf.make_event(orgs["university"], capacity=1)
    assert register(client_for(), event).status_code == 302
    second = register(client_for(), event, phone="13800001111", email="li@example.com")
    assert second.status_code == 409
    assert "1" in second.context["form"].non_field_errors()[0]
    assert places(event) == 1 and Registration.objects.count() == 1
    page = client_for().get(reverse("portal:event", args=[event.pk])).content.decode()
    assert 'data-testid="registration-closed"' in page and 'name="attendee_name"' not in page


@pytest.mark.parametrize(
    "how",
    ["closed by the organiser", "deadline passed", "event started"],
)
def test_closed_registration_is_refused(orgs, how):
    now = timezone.now()
    if how == "closed by the organiser":
        event = lf.make_event(orgs["university"], registration_open=False)
    elif how == "deadline passed":
        event = lf.make_event(
            orgs["university"], registration_closes_at=now - dt.timedelta(hours=1)
        )
    else:
        event = lf.make_event(
            orgs["university"],
            starts_at=now - dt.timedelta(minutes=10),
            ends_at=now + dt.timedelta(hours=2),
        )
    page = client_for().get(reverse("portal:event", args=[event.pk])).content.decode()
    assert 'data-testid="registration-closed"' in page
    response = register(client_for(), event)
    assert response.status_code == 409
    assert response.context["form"].non_field_errors()
    assert places(event) == 0


def test_members_may_still_register_on_the_day_through_their_account(orgs, users):
    now = timezone.now()
    event = lf.make_event(
        orgs["university"],
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(hours=2),
    )
    client_for(users["enterprise"]).post(reverse("liaison:event_register", args=[event.pk]))
    assert places(event) == 1


def test_a_duplicate_is_recognised_by_phone_or_email(orgs):
    event = lf.make_event(orgs["university"])
    other = lf.make_event(orgs["university"])
    assert register(client_for(), event).status_code == 302
    same_phone = register(client_for(), event, phone="+86 139-1234-5678", email="")
    assert same_phone.status_code == 409
    message = same_phone.context["form"].non_field_errors()[0]
    assert "已报名" in message or "already registered" in message
    same_mail = register(client_for(), event, phone="13700002222", email="WANG.xd@EXAMPLE.com")
    assert same_mail.status_code == 409
    assert Registration.objects.filter(event=event).count() == 1 and places(event) == 1
    # the same person may register for another event
    assert register(client_for(), other).status_code == 302


def test_the_honeypot_keeps_robots_out(orgs):
    event = lf.make_event(orgs["university"])
    response = register(client_for(), event, website="http://spam.example")
    assert response.status_code == 400
    assert Registration.objects.count() == 0 and places(event) == 0


def test_one_address_has_a_limited_number_of_attempts(orgs, settings):
    settings.PORTAL_ATTEMPTS_PER_HOUR = 2
    event = lf.make_event(orgs["university"])
    visitor = client_for()
    assert register(visitor, event, phone="13800000001", email="").status_code == 302
    assert register(visitor, event, phone="13800000002", email="").status_code == 302
    third = register(visitor, event, phone="13800000003", email="")
    assert third.status_code == 429 and Registration.objects.count() == 2
    # another address is not affected
    other = client_for()
    ok = other.post(
        reverse("portal:event", args=[event.pk]),
        {**VALID, "phone": "13800000004", "email": ""},
        REMOTE_ADDR="10.1.2.3",
    )
    assert ok.status_code == 302


def test_cancelling_needs_the_reference_and_the_contact(orgs):
    event = lf.make_event(orgs["university"])
    register(client_for(), event)
    reg = Registration.objects.get()
    url = reverse("portal:registration_cancel")
    visitor = client_for()
    form = visitor.get(url, {"reference": reg.reference}).content.decode()
    assert f'value="{reg.reference}"' in form
    wrong_ref = visitor.post(url, {"reference": "ABCDE-FGHJK", "contact": "13912345678"})
    assert wrong_ref.status_code == 400 and wrong_ref.context["form"].non_field_errors()
    wrong_contact = visitor.post(url, {"reference": reg.reference, "contact": "13000000000"})
    assert wrong_contact.status_code == 400
    assert Registration.objects.filter(pk=reg.pk).exists() and places(event) == 1
    ref = f"{reg.reference[:5].lower()}-{reg.reference[5:].lower()}"  # as typed from the page
    done = visitor.post(url, {"reference": ref, "contact": "139 1234 5678"})
    assert done.status_code == 302
    assert not Registration.objects.filter(pk=reg.pk).exists() and places(event) == 0
    assert (
        client_for().get(reverse("portal:registration_done", args=[reg.reference])).status_code
        == 404
    )


def test_a_started_event_cannot_be_cancelled(orgs):
    event = lf.make_event(orgs["university"])
    register(client_for(), event)
    reg = Registration.objects.get()
    event.starts_at = timezone.now() - dt.timedelta(minutes=1)
    event.save()
    response = client_for().post(
        reverse("portal:registration_cancel"),
        {"reference": reg.reference, "contact": "wang.xd@example.com"},
    )
    assert response.status_code == 400 and Registration.objects.filter(pk=reg.pk).exists()


def test_the_bureau_sees_the_registration_and_the_organiser_a_masked_phone(orgs, users):
    event = lf.make_event(orgs["university"], title="高校专家巡诊：新材料")
    register(client_for(), event)
    reg = Registration.objects.get()
    listing = reverse("liaison:registration_list")
    bureau = client_for(users["bureau"]).get(listing, {"event": event.pk}).content.decode()
    assert "王晓东" in bureau and "13912345678" in bureau
    organiser = client_for(users["university"]).get(listing, {"event": event.pk})
    html = organiser.content.decode()
    assert "王晓东" in html and "13912345678" not in html and "139****5678" in html
    export = client_for(users["university"]).get(listing, {"event": event.pk, "export": "csv"})
    text = export.content.decode("utf-8-sig")
    assert "王晓东" in text and "13912345678" not in text and "w***@example.com" in text
    detail = client_for(users["bureau"]).get(reverse("liaison:registration_detail", args=[reg.pk]))
    assert reg.reference in detail.content.decode()
    for outsider in (users["university2"], users["enterprise"], None):
        page = client_for(outsider).get(listing).content.decode()
        assert "王晓东" not in page
        assert (
            client_for(outsider).get(reverse("liaison:registration_detail", args=[reg.pk]))
        ).status_code in (302, 404)


def test_members_are_sent_to_their_own_registration_path(orgs, users):
    event = lf.make_event(orgs["university"])
    member = client_for(users["enterprise"])
    page = member.get(reverse("portal:event", args=[event.pk])).content.decode()
    assert event.get_absolute_url() in page and 'name="organisation"' not in page
    response = register(member, event)
    assert response.status_code == 302 and response["Location"] == event.get_absolute_url()
    assert Registration.objects.count() == 0


def test_private_events_are_not_on_the_portal(orgs):
    event = lf.make_event(orgs["university"], is_public=False, title="内部工作培训")
    visitor = client_for()
    assert visitor.get(reverse("portal:event", args=[event.pk])).status_code == 404
    assert register(visitor, event).status_code == 404
    assert "内部工作培训" not in visitor.get(reverse("portal:events")).content.decode()


def test_calendar_groups_coming_events_by_month(orgs):
    now = timezone.localtime()
    soon = lf.make_event(
        orgs["university"], title="本月的路演", starts_at=now + dt.timedelta(hours=2)
    )
    later_start = now + dt.timedelta(days=70)
    later = lf.make_event(
        orgs["university"],
        title="两个月后的培训",
        starts_at=later_start,
        ends_at=later_start + dt.timedelta(hours=2),
    )
    past_start = now - dt.timedelta(days=40)
    past = lf.make_event(
        orgs["university"],
        title="上个月的讲堂",
        starts_at=past_start,
        ends_at=past_start + dt.timedelta(hours=2),
    )
    visitor = client_for()
    html = visitor.get(reverse("portal:events")).content.decode()
    assert soon.title in html and later.title in html and past.title not in html
    assert html.index(soon.title) < html.index(later.title)
    assert f'id="month-{later_start:%Y-%m}"' in html
    month = visitor.get(reverse("portal:events"), {"month": f"{past_start:%Y-%m}"}).content.decode()
    assert past.title in month and soon.title not in month
    assert visitor.get(reverse("portal:events"), {"month": "2026-13"}).status_code == 404


def test_cached_event_pages_show_the_places_taken(orgs, settings):
    settings.PAGE_CACHE_SECONDS = 300
    event = lf.make_event(orgs["university"], capacity=10)
    url = reverse("portal:event", args=[event.pk])
    visitor = client_for()
    assert (
        "10 of 10" in visitor.get(url).content.decode()
        or "10 个名额" in visitor.get(url).content.decode()
    )
    register(client_for(), event)
    again = visitor.get(url).content.decode()
    assert "9 of 10" in again or "剩余 9" in again
