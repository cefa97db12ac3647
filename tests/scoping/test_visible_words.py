"""Words, not codes (issue 13, item 2).

Every page of the whole demo world, and every document it offers (PDFs read back with
pypdf, workbooks with openpyxl), as each demo login and as the public: the visible text
(no tags, scripts or attributes a browser does not show) holds no internal identifier —
no value of any choice of the project's models (states, kinds, levels, instruments …),
no transition name of any state machine, no step the trails record by code (the
状态记录, draws, assignment logs), no value of a choice fact, no account or budget-line
code. Numbers have the precision of their meaning: no figure with more than two
decimals, no quantity written "2.00 台". Every download is named in Chinese.

The list of forbidden tokens is built from the models and the data, not written out,
so a new choice or a new code is covered the day it is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django_fsm import FSMField

from accounts.models import User
from core import importing
from funding.facts import FACTS
from ledger.models import Account, BudgetLine
from projects.models import TRAIL_LABELS, Contract, TransitionLog
from reviews.models import AssignmentLog, Draw

from .crawl import Rendered, crawl
from .test_walk import LIST_PAGES, USERS

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("accounts", "funding", "projects", "reviews", "ledger", "reports", "core")

# Tokens a page may show, each with the reason. Keyed by (URL name, token); "*" for any.
ALLOWED: dict[tuple[str, str], str] = {}


def _import_column_codes() -> set[str]:
    codes: set[str] = set()
    for kind in list(importing._registry):
        importer = importing.get_importer(kind)
        codes |= {c.code for c in importer.columns}
    return codes


# The import pages and templates list each column's code name beside its Chinese
# header: a file may use either as its header row (DESIGN §7, "the English code names
# are accepted too"), so the codes are shown there on purpose, and only there.
IMPORT_PAGES = {"imports:kind", "imports:template", "reviews:scores_template"}


def forbidden_tokens() -> dict[str, str]:
    """Every internal identifier the project has, with where it comes from."""
    tokens: dict[str, str] = {}

    def add(value: Any, source: str) -> None:
        if isinstance(value, str) and value:
            tokens.setdefault(value, source)

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                for value in sub.values:
                    add(value, f"{sub.__module__}.{sub.__qualname__}")
            walk(sub)

    walk(models.Choices)
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                add(value, f"{model.__name__}.{field.name} choice")
            if isinstance(field, FSMField):
                for transition in field.get_all_transitions(model):
                    add(transition.name, f"{model.__name__} transition")
    for name in TRAIL_LABELS:
        add(name, "状态记录 step")
    for name in Draw.PURPOSES:
        add(name, "draw purpose")
    for name in AssignmentLog.ACTIONS:
        add(name, "assignment log action")
    for fact in FACTS.values():
        for value, _label in fact.choices:
            add(value, f"fact {fact.key} choice")
    # and what the data holds: steps recorded by code, account and budget-line codes
    for value in TransitionLog.objects.values_list("transition", flat=True).distinct():
        add(value, "状态记录 step")
    for value in Draw.objects.values_list("purpose", flat=True).distinct():
        add(value, "draw purpose")
    for value in AssignmentLog.objects.values_list("action", flat=True).distinct():
        add(value, "assignment log action")
    for code in BudgetLine.objects.values_list("code", flat=True):
        add(code, "budget line code")
    for code in Account.objects.values_list("code", flat=True):
        add(code, "account code")
    return tokens


def _pattern(tokens: dict[str, str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    # a whole token: not inside a word, an e-mail address, a path or a longer code
    return re.compile(rf"(?<![\w@./:-])({alternatives})(?![\w@/-])")


def _everything(public: bool = True) -> Iterator[Rendered]:
    for username in USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        start = [reverse(n) for n in LIST_PAGES]
        # (a contract's page, where its PDF is offered, whatever the sample of projects)
        start += [reverse("contract_detail", args=[c.pk]) for c in Contract.objects.all()[:1]]
        yield from crawl(client, username, start, per_name=4, per_path=2)
    if public:
        yield from crawl(Client(), "(public)", [reverse("public_notice_list")], per_name=4)


_cache: list[Rendered] = []


@pytest.fixture
def rendered(demo: Any) -> list[Rendered]:
    """The walk is read-only: done once per test process and module."""
    if not _cache:
        _cache.extend(_everything())
    return _cache


def test_no_page_or_document_shows_an_internal_identifier(rendered):
    # given every internal identifier of the project and the demo's data
    tokens = forbidden_tokens()
    for must in ("return_for_revision", "formal_check", "create", "draw", "district", "none"):
        assert must in tokens, must
    assert any(t.startswith("2026-KJJH-grant-") for t in tokens)
    pattern = _pattern(tokens)
    column_codes = _import_column_codes()

    # when every page and document is read as each role
    kinds = {r.kind for r in rendered}
    assert {"html", "pdf", "xlsx"} <= kinds
    assert len(rendered) > 500

    # then none of them shows one
    found = []
    for page in rendered:
        for match in pattern.finditer(page.text):
            token = match.group(1)
            if page.url_name in IMPORT_PAGES and token in column_codes:
                continue
            if (page.url_name, token) in ALLOWED or ("*", token) in ALLOWED:
                continue
            context = page.text[max(0, match.start() - 40) : match.end() + 20]
            found.append(f"{page} [{tokens[token]}] {token!r}: …{context}…")
    assert found == [], "\n".join(sorted(set(found))[:80])


# A figure with more than two decimals (80.6667), or a quantity with its ".00" before a
# unit ("2.00 台"). Money has two decimals by rule; a score two; a quantity its own.
TOO_PRECISE = re.compile(r"(?<![\d.,])\d[\d,]*\.\d{3,}(?![\d])")
UNITS = "台|套|亩|件|人次|户|个|项|次|篇|册|平方米|公里|吨"
TRAILING_ZEROS = re.compile(rf"(?<![\d.])\d[\d,]*\.0+(?!\d)\s*(?:{UNITS})")


def test_numbers_have_the_precision_of_their_meaning(rendered):
    found = []
    for page in rendered:
        for pattern in (TOO_PRECISE, TRAILING_ZEROS):
            for match in pattern.finditer(page.text):
                context = page.text[max(0, match.start() - 30) : match.end() + 10]
                found.append(f"{page}: {match.group(0)!r} in …{context}…")
    assert found == [], "\n".join(sorted(set(found))[:80])


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_download_is_named_in_chinese_with_an_ascii_fallback(rendered):
    downloads = [r for r in rendered if r.kind != "html"]
    # (every kind of download there is, as someone reaches it)
    assert {r.url_name for r in downloads} >= {
        "contract_pdf",
        "certificate_pdf",
        "reviews:notice_pdf",
        "reviews:approval_pdf",
        "reviews:ranking_download",
        "recommendation_export",
        "ledger:disbursement_pdf",
        "organisation_export",
        "person_export",
        "imports:template",
        "reports:year_end",
    }
    wrong = []
    for r in downloads:
        # named in Chinese (RFC 5987 filename*), with an ASCII name for old clients
        plain = re.search(r'filename="([^"]+)"', r.disposition)
        star = re.search(r"filename\*=UTF-8''(\S+)$", r.disposition)
        ok = (
            r.disposition.startswith("attachment;")
            and plain is not None
            and plain.group(1).isascii()
            and star is not None
            and CJK.search(r.filename) is not None
            and r.filename.endswith("." + r.kind)
        )
        if not ok:
            wrong.append(f"{r}: {r.disposition}")
    assert wrong == [], "\n".join(wrong)


def test_download_names_say_what_the_file_is(rendered):
    names = {r.url_name: r.filename for r in rendered if r.kind != "html"}
    for url_name, start in {
        "contract_pdf": "任务书-RWS-",
        "certificate_pdf": "验收证书-YSZS-",
        "reviews:notice_pdf": "公示名单-",
        "reviews:ranking_download": "评审排名-",
        "recommendation_export": "推荐汇总表-",
        "ledger:disbursement_pdf": "拨付单-BF",
        "organisation_export": "单位名单-",
        "person_export": "人员名单-",
        "imports:template": "",
    }.items():
        assert names[url_name].startswith(start), (url_name, names[url_name])
    assert names["reviews:approval_pdf"].startswith(("立项通知-", "授予通知-"))
    assert "导入模板" in names["imports:template"]
    assert re.fullmatch(r"20\d\d年度报表-.+\.xlsx", names["reports:year_end"])
