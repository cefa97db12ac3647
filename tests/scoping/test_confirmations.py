"""Confirmation before what cannot be undone (issue 13): a crawl of the whole demo world
as every demo login collects every POST form of every page, and

* every form is either marked ``data-confirm`` (the browser asks in a dialog) or on the
  list below of actions that can be undone or are checked another way (with the reason);
* each marked form, sent as the page would send it without script, answers the
  confirmation page and changes nothing in the database.

tests/projects/test_confirmation.py then follows the actions the issue names (提交,
提交评分, 签订, 登记支付, 结项) through the confirmation page to the end."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import resolve

from accounts.models import User
from core.confirm import CONFIRMED

from .crawl_forms import Button, Form, crawl, forms_of
from .test_walk import USERS

pytestmark = pytest.mark.django_db

# POST forms that need no confirmation, by view (and action or button), and why.
UNDOABLE = {
    "set_language": "a language switch",
    "logout": "logging out",
    "login": "logging in",
    "password_change": "a password can be changed again",
    "api_tokens": "a new API token, which its owner can revoke",
    "organisation_create": "registry records stay editable",
    "organisation_update": "registry records stay editable",
    "person_create": "registry records stay editable",
    "person_update": "registry records stay editable",
    "application_start": "a draft",
    "application_edit": "a draft, saved again at will",
    "application_team": "the team of a draft, changed again at will",
    "attachment_upload": "a file of a draft, removable",
    "recommendation_create": "a draft list, which can be discarded",
    "recommendation_action/cosign": "the co-signature can be withdrawn until the list is sent",
    "recommendation_action/uncosign": "the co-signature can be given again",
    "report_detail#read=1": "marks a report read",
    "contract_new": "the draft contract, which the applicant confirms next",
    "contract_action/order": "a payment order can be cancelled until it is paid",
    "contract_action/change": "a request, which the officer decides (with confirmation)",
    "loan_edit": "the loan of a draft application, saved again at will",
    "application_cut": "a cut is taken back (the amount asked) until the 任务书 is drafted",
    "contract_respread": "the draft 任务书's budget, spread again until it is confirmed",
    "subsidy_certificate": "a payment order can be cancelled until it is paid",
    "reviews:exclusions": "the applicant's own list of experts to avoid, add and remove",
    "reviews:panel_create": "a panel in set-up",
    "reviews:assignment_score#save=": "a draft of the scores",
    "ledger:disbursement_create": "a draft disbursement",
    "ledger:budget_line_detail#action=request_adjustment": "a request, which a second person decides",
    "ledger:repayable_detail#action=request_reschedule": "a request, which a second person decides",
    "ledger:repayable_detail#action=request_write_off": "a request, which a second person decides",
    "ledger:statement_detail#action=check": "only checks the closing balance",
    "ledger:statement_detail#action=auto_match": "runs the automatic matching again",
    "imports:kind": "the dry run, which changes nothing",
    "imports:commit": "the dry run before it lists every row: it is the confirmation step",
    "funding:programme_create": "configuration, edited again at will",
    "funding:programme_edit": "configuration, edited again at will",
    "funding:call_create": "a draft call",
    "funding:call_edit": "a call's settings, edited again (what an open call fixes is locked)",
    "funding:call_quotas": "quotas, set again at will (registered cuts always apply)",
    "funding:category_create": "configuration, edited again at will",
    "funding:category_edit": "configuration, edited again at will",
    "funding:rule_create": "configuration, edited again at will",
    "funding:rule_edit": "configuration, edited again at will",
    "funding:statistic_list": "a district's figure, set again at will",
    "reviews:call_rubric": "the call's rubric, changed again until a panel uses it",
    "reviews:rubric_create": "a rubric in set-up",
    "reviews:rubric_edit": "a rubric in set-up (frozen once used)",
    "reviews:rubric_next_version": "a new draft version; the frozen one is kept",
    "notices:read": "marks one's own message read",
    "notices:read_all": "marks one's own messages read",
    "reports:year_end": "prepares a file in the background; changes no record",
}
SKIPPED_TABLES = {"sessions.Session", "axes.AccessAttempt", "axes.AccessLog"}


def _key(target: str, button: Button) -> str:
    match = resolve(urlsplit(target).path)
    key = match.view_name
    if "name" in match.kwargs:
        key += f"/{match.kwargs['name']}"
    if button.name:
        key += f"#{button.name}={button.value}"
    return key


def _target(page_address: str, form: Form, button: Button) -> str:
    return button.formaction or form.action or page_address


def fingerprint() -> dict[str, Any]:
    """The number of rows of every table and the state of every record with one."""
    state: dict[str, Any] = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in SKIPPED_TABLES or model._meta.app_label in ("admin", "contenttypes"):
            continue
        rows = model._default_manager.all()
        state[label] = rows.count()
        if any(f.name == "status" for f in model._meta.fields):
            state[f"{label}.status"] = sorted(rows.values_list("pk", "status"))
    return state


def _forms_of_every_login() -> dict[str, tuple[str, str, Form, Button]]:
    """{key: (username, page, form, button)}: the first page each POST form is met on."""
    found: dict[str, tuple[str, str, Form, Button]] = {}
    logins: list[str | None] = [None, *USERS]
    for username in logins:
        client = Client()
        start = ("/accounts/login/", "/gongshi/")
        if username is not None:
            client.force_login(User.objects.get(username=username))
            start = ("/",)
        for page in crawl(client, *start):
            for form in forms_of(page.body):
                if form.method != "post":
                    continue
                for button in form.buttons:  # (a form without a button is never sent)
                    target = _target(page.address, form, button)
                    key = _key(target, button)
                    if key not in found or (button.confirm and not found[key][3].confirm):
                        found[key] = (username or "", page.address, form, button)
    return found


def test_every_action_that_cannot_be_undone_asks_first_and_acts_only_when_confirmed(demo):
    # given every POST form of every page the demo logins reach
    forms = _forms_of_every_login()
    # then each one is marked for confirmation or can be undone
    unmarked = sorted(
        f"{key} on {page} ({username})"
        for key, (username, page, form, button) in forms.items()
        if not (button.confirm or form.confirm)
        and key.split("#")[0] not in UNDOABLE
        and key not in UNDOABLE
    )
    assert unmarked == [], "\n".join(unmarked)
    # and each marked one, sent without the confirmation (no script), answers the
    # confirmation page and changes nothing
    before = fingerprint()
    asked = []
    for key, (username, page, form, button) in sorted(forms.items()):
        if not (button.confirm or form.confirm):
            continue
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        data: dict[str, list[str]] = {}
        for name, value in form.fields + ([(button.name, button.value)] if button.name else []):
            data.setdefault(name, []).append(value)
        response = client.post(_target(page, form, button), data)
        body = response.content.decode()
        assert response.status_code == 200 and f'name="{CONFIRMED}"' in body, (
            f"{key} on {page} ({username}): {response.status_code} {response.get('Location', '')}"
        )
        assert "请确认" in body, key
        # the page sends back what the form sent, to the same address
        for name, values in data.items():
            for value in values if name != "csrfmiddlewaretoken" else []:  # (a fresh one)
                assert f'name="{escape(name)}" value="{escape(value)}"' in body, (key, name)
        asked.append(key)
    assert fingerprint() == before
    # (the demo world shows most of them: the crawl is not vacuous)
    assert {
        "application_action/submit",
        "application_action/return_for_revision",
        "recommendation_action/submit",
        "reviews:panel_action/close",
        "reviews:acceptance_action/conclude",
        "ledger:disbursement_detail#action=approve",
        "ledger:disbursement_detail#action=pay",
        "ledger:statement_detail#action=match",
        "project_action/close",
    } <= set(asked), sorted(asked)
    assert len(asked) >= 30, sorted(asked)
