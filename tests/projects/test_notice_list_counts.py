"""The notice list at scale (issue 16): each notice's applications and open objections
are counted apart (a subquery each), right, and in the same number of queries however
many notices, applications and objections there are."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import services

from .conftest import award_call, user
from .test_notice_and_recommendation import _award_app

pytestmark = pytest.mark.django_db


def _officer() -> Client:
    client = Client()
    client.force_login(user("district_officer"))
    return client


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _row(page: str, notice) -> list[str]:
    """The cells' text of the notice's row."""
    row = page.split(f'href="{reverse("notice_detail", args=[notice.pk])}"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[:-1]]


def test_the_notice_list_counts_applications_and_open_objections_apart(world, today):
    officer = user("district_officer")
    url = reverse("notice_list")
    first = services.notice_publish(
        level="district",
        call=award_call(),
        unit=_award_app("俞根土").district,
        applications=[_award_app("沈建明")],
        starts_on=today,
        actor=officer,
    )
    client = _officer()
    one = _queries(client, url)
    apps = [_award_app(name) for name in ("潘桂英", "俞根土")]
    second = services.notice_publish(
        level="district",
        call=award_call(),
        unit=apps[0].district,
        applications=apps,
        starts_on=today,
        actor=officer,
    )
    for n, app in enumerate(apps + apps):  # four objections on two applications
        objection = services.objection_file(
            notice=second, application=app, name=f"异议人{n}", contact="1", content="材料不实"
        )
        if n == 0:
            services.objection_handle(
                objection=objection, actor=officer, upheld=False, resolution="经核实属实"
            )
    page = client.get(url).content.decode()
    # applications 2 (not 2 × 4 objections), open objections 3 (one is handled)
    assert _row(page, second)[-2:] == ["2", "3"]
    assert _row(page, first)[-2:] == ["1", "0"]
    assert _queries(client, url) == one
