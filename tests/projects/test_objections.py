"""Anonymous objections on the public 公示 page (issue 12, item 8): bounded text and a
throttle per address and notice, answered in Chinese with HTTP 429, never a 500."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import clock
from core.confirm import CONFIRMED
from projects import services
from projects.models import Objection

from .conftest import award_call, checked, user

pytestmark = pytest.mark.django_db

MOMENT = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))


@pytest.fixture
def notice(world):
    with clock.frozen(MOMENT):
        application = checked(
            call=award_call(),
            category="leader",
            actor="applicant_nt",
            organisation="杭州市西湖区农业技术推广中心",
            person="俞根土",
        )
        notice = services.notice_publish(
            level="district",
            call=award_call(),
            unit=application.district,
            applications=[application],
            starts_on=clock.today(),
            actor=user("district_officer"),
        )
        yield notice


def _object(notice, *, ip="203.0.113.10", content="情况不实", **extra):
    return Client().post(
        reverse("public_notice_detail", args=[notice.pk]),
        {
            "application": "",
            "name": "王五",
            "contact": "13812345678",
            "content": content,
            CONFIRMED: "1",
        },
        REMOTE_ADDR=ip,
        **extra,
    )


# --- size --------------------------------------------------------------------------------


def test_a_four_megabyte_objection_is_refused_with_a_form_error(notice):
    # when an anonymous visitor posts 4 MB of text as an objection
    response = _object(notice, content="异" * (4 * 1024 * 1024 // 3))
    # then the page answers with the limit, and nothing is stored
    assert response.status_code == 200
    errors = response.context["form"].errors["content"]
    assert str(Objection.CONTENT_MAX_LENGTH) in errors[0]
    assert not Objection.objects.exists()


def test_an_objection_at_the_limit_is_received(notice):
    response = _object(notice, content="异" * Objection.CONTENT_MAX_LENGTH)
    assert response.status_code == 302
    assert len(Objection.objects.get().content) == Objection.CONTENT_MAX_LENGTH


def test_the_service_refuses_overlong_text_whichever_door_is_used(notice):
    with clock.frozen(MOMENT), pytest.raises(services.ApplicationError):
        services.objection_file(
            notice=notice,
            application=None,
            name="王五",
            contact="13812345678",
            content="异" * (Objection.CONTENT_MAX_LENGTH + 1),
            client_ip="203.0.113.1",
        )
    assert not Objection.objects.exists()


# --- throttle per address and notice ---------------------------------------------------------


def test_one_address_is_limited_per_notice_per_hour(notice):
    per_hour = settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR
    with clock.frozen(MOMENT):
        # given the limit of objections from one address
        for _ in range(per_hour):
            assert _object(notice, ip="203.0.113.10").status_code == 302
        # when one more comes from it within the hour
        response = _object(notice, ip="203.0.113.10")
    # then it is refused with 429 and a Chinese message that says what to do
    assert response.status_code == 429
    page = response.content.decode()
    assert "一小时" in page and "书面" in page
    assert Objection.objects.count() == per_hour
    # while another address is still heard
    with clock.frozen(MOMENT):
        assert _object(notice, ip="203.0.113.11").status_code == 302
    # and the first address again an hour later
    with clock.frozen(MOMENT + dt.timedelta(hours=1, minutes=1)):
        assert _object(notice, ip="203.0.113.10").status_code == 302
    assert Objection.objects.count() == per_hour + 2


def test_a_notice_takes_at_most_its_daily_number_of_objections(notice):
    per_day = settings.OBJECTION_LIMIT_PER_NOTICE_PER_DAY
    # given the day's limit reached, from many addresses
    with clock.frozen(MOMENT):
        for n in range(per_day):
            services.objection_file(
                notice=notice,
                application=None,
                name="王五",
                contact="13812345678",
                content=f"第{n}条",
                client_ip=f"198.51.{n // 200}.{n % 200}",
            )
        # when one more comes from a new address that day
        response = _object(notice, ip="203.0.113.99")
    # then it is refused with 429, pointing to the written channel
    assert response.status_code == 429
    page = response.content.decode()
    assert "今日" in page and "书面" in page
    assert Objection.objects.count() == per_day
    # and the next day the notice takes objections again
    with clock.frozen(MOMENT + dt.timedelta(days=1)):
        assert _object(notice, ip="203.0.113.99").status_code == 302


def test_without_a_proxy_forged_forwarded_for_does_not_escape_the_throttle(notice, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    per_hour = settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR
    with clock.frozen(MOMENT):
        codes = [
            _object(notice, ip="203.0.113.10", HTTP_X_FORWARDED_FOR=f"8.8.8.{i}").status_code
            for i in range(per_hour + 1)
        ]
    assert codes == [302] * per_hour + [429]
    assert set(Objection.objects.values_list("filed_from", flat=True)) == {"203.0.113.10"}


def test_behind_the_proxy_each_client_is_counted_by_the_address_the_proxy_saw(notice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    per_hour = settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR
    proxy = "10.0.0.254"
    with clock.frozen(MOMENT):
        for _ in range(per_hour):
            assert _object(notice, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.20").status_code == 302
        assert _object(notice, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.20").status_code == 429
        # another visitor through the same proxy is heard
        assert _object(notice, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.21").status_code == 302
    assert Objection.objects.filter(filed_from="203.0.113.20").count() == per_hour


@pytest.mark.django_db(transaction=True)
def test_concurrent_objections_from_one_address_stay_within_the_limit(world):
    if connection.vendor != "postgresql":
        pytest.skip("real row locks: runs on PostgreSQL (SQLite serialises every write)")
    per_hour = settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR
    with clock.frozen(MOMENT):
        application = checked(
            call=award_call(),
            category="leader",
            actor="applicant_nt",
            organisation="杭州市西湖区农业技术推广中心",
            person="俞根土",
        )
        notice = services.notice_publish(
            level="district",
            call=award_call(),
            unit=application.district,
            applications=[application],
            starts_on=clock.today(),
            actor=user("district_officer"),
        )
        n = per_hour * 3
        barrier = threading.Barrier(n)
        codes: list[int] = [0] * n

        def worker(i: int) -> None:
            try:
                barrier.wait()
                codes[i] = _object(notice, ip="203.0.113.30").status_code
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(codes) == [302] * per_hour + [429] * (n - per_hour)
    assert Objection.objects.filter(notice=notice).count() == per_hour
