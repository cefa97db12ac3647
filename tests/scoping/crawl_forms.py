"""A crawl of the demo world as one login: every HTML page reachable by links, a few of
each kind (URL pattern), with their titles and their POST forms."""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve

PER_KIND = 3  # pages opened of each kind, per login
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
HREF = re.compile(r'href="(/[^"#]*)"')


@dataclass
class Page:
    kind: str
    address: str
    body: str

    @property
    def title(self) -> str:
        found = TITLE.search(self.body)
        return " ".join(html.unescape(found.group(1)).split()) if found else ""


def kind_of(path: str) -> str | None:
    """The URL pattern's name (``ledger:disbursement_detail``); None outside the site's
    own pages (the Django admin, unknown addresses)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if "admin" in match.namespaces:
        return None
    return match.view_name


def crawl(client: Client, *start: str, per_kind: int = PER_KIND) -> Iterator[Page]:
    """The HTML pages reachable by links from ``start``, up to ``per_kind`` addresses
    of each kind."""
    opened: dict[str, set[str]] = {}
    queue: deque[str] = deque(start)
    visited: set[str] = set()
    while queue:
        address = queue.popleft()
        path = urlsplit(address).path
        if address in visited or "logout" in path or path.startswith("/i18n/"):
            continue
        visited.add(address)
        kind = kind_of(path)
        if kind is None or len(opened.setdefault(kind, set())) >= per_kind:
            continue
        response = client.get(address)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        opened[kind].add(address)
        body = response.content.decode()
        yield Page(kind, address, body)
        queue.extend(html.unescape(link) for link in HREF.findall(body))


# --- forms --------------------------------------------------------------------------


@dataclass
class Button:
    name: str
    value: str
    formaction: str
    confirm: str | None
    label: str = ""
    id: str = ""


@dataclass
class Form:
    action: str
    method: str
    confirm: str | None
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    has_file: bool = False


class _FormParser(HTMLParser):
    """The forms of a page with the values a person who fills every required field
    would send: hidden and preset values as they are, an empty required text a short
    text, a select its chosen (or first real) option."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, bool] | None = None
        self._text: list[str] = []
        self._button: Button | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                confirm=a.get("data-confirm"),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            name = a.get("name", "")
            if kind == "file":
                form.has_file = True
            elif kind == "submit":
                form.buttons.append(_button(a))
            elif name and kind in ("checkbox", "radio"):
                # a person ticks the first of a group nothing of which is ticked yet
                # (one application of the queue for the bulk action)
                if "checked" in a or not any(n == name for n, _v in form.fields):
                    form.fields.append((name, a.get("value", "on")))
            elif name:
                form.fields.append((name, _filled(kind, a)))
        elif tag == "textarea":
            self._textarea = (a.get("name", ""), "required" in a)
            self._text = []
        elif tag == "select":
            self._select = (a.get("name", ""), [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = _button(a)
            form.buttons.append(self._button)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        if self._button is not None:
            self._button.label += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None
        elif tag == "textarea" and form is not None and self._textarea is not None:
            name, required = self._textarea
            text = "".join(self._text).strip() or ("测试说明" if required else "")
            if name:
                form.fields.append((name, text))
            self._textarea = None
        elif tag == "select" and form is not None and self._select is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected and v]
            real = [v for v, _selected in options if v]
            value = (chosen or real or [""])[0]
            if name:
                form.fields.append((name, value))
            self._select = None


def _button(a: dict[str, str]) -> Button:
    return Button(
        a.get("name", ""),
        a.get("value", ""),
        a.get("formaction", ""),
        a.get("data-confirm"),
        id=a.get("id", ""),
    )


def _filled(kind: str, a: dict[str, str]) -> str:
    value = a.get("value", "")
    if value or "required" not in a:
        return value
    if kind == "number" or a.get("inputmode") in ("numeric", "decimal"):
        return a.get("max") or a.get("min") or "1"
    if kind == "date":
        return "2026-11-20"
    return "测试说明"


def forms_of(body: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(body)
    return parser.forms


def press(
    client: Client, address: str, button_id: str, body: str | None = None, **values: str
) -> HttpResponse:
    """What the browser sends when the button ``#button_id`` of the page at ``address``
    is pressed, without script: the form's fields (``values`` typed over them) and the
    button's own name and value."""
    body = body if body is not None else client.get(address).content.decode()
    for form in forms_of(body):
        for button in form.buttons:
            if button.id == button_id:
                data: dict[str, list[str]] = {}
                for name, value in form.fields:
                    data.setdefault(name, []).append(value)
                data.update({name: [value] for name, value in values.items()})
                if button.name:
                    data.setdefault(button.name, []).append(button.value)
                target = button.formaction or form.action or address
                return client.post(target, data)  # type: ignore[return-value]
    raise AssertionError(f"no button #{button_id} on {address}")
