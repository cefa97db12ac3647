"""The UI is Chinese by default with English switchable; every demo role has a home."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from demo.accounts_world import USERS

pytestmark = pytest.mark.django_db


def test_login_page_is_in_chinese(db):
    page = Client().get(reverse("login")).content.decode()
    assert "登录" in page
    assert "科技项目与科普惠农兴村资金管理系统" in page
    assert 'lang="zh-hans"' in page


def test_english_can_be_chosen(db):
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login")).content.decode()
    assert "Log in" in page
    assert "Science funding management" in page


@pytest.mark.parametrize("username", [u[0] for u in USERS])
def test_every_demo_role_gets_a_home_page(as_user, username):
    page = as_user(username).get(reverse("home")).content.decode()
    assert "我的工作台" in page
    assert "我的角色" in page


def test_admin_home_lists_users_waiting_for_a_role(as_user):
    from accounts import services

    services.user_create(username="newcomer", password=None, full_name="新来的")
    page = as_user("admin").get(reverse("home")).content.decode()
    assert "待分配角色的用户" in page
    assert "新来的" in page


def test_admin_home_query_count_is_flat_as_users_wait_for_a_role(
    as_user, django_assert_num_queries
):
    # given the administrator's home page with one user waiting for a role
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts import services

    services.user_create(username="newcomer", password=None, full_name="新来的")
    client = as_user("admin")
    client.get(reverse("home"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    # when 14 more wait: the queue (10 rows) is full
    for i in range(14):
        services.user_create(username=f"newcomer{i}", password=None, full_name=f"新来的{i}")
    # then the page runs the same queries and still says how many wait in all
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert '<span class="badge">15</span>' in page


def test_an_english_browser_still_gets_chinese_until_the_user_switches(db):
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("login")).content.decode()
    assert "登录" in page


def test_every_model_has_an_admin_page_with_a_chinese_name(as_user):
    from django.apps import apps
    from django.contrib import admin
    from django.utils import translation

    admin_client = as_user("admin")
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if model._meta.app_label not in {
                "accounts",
                "funding",
                "projects",
                "reviews",
                "ledger",
            }:
                continue
            assert model in admin.site._registry, model._meta.label
            name = str(model._meta.verbose_name)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in name), (model._meta.label, name)
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert admin_client.get(url).status_code == 200, url
