"""A walk over every page a user can reach, with each page's visible text.

Starting from the pages reached with no argument, it follows every link of every page it
renders (same site, GET), a few records of each kind, and reads downloads back: PDFs
with pypdf, .xlsx with openpyxl. What a person sees is the text of the page without
tags, scripts, styles or attributes — except the attributes a browser shows (a button's
or a filled field's value, a placeholder, a title tooltip, an image's alt text).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.test import Client
from django.urls import Resolver404, resolve

# Not followed: they write (logout, language) or are the Django admin, which is the
# system administrator's raw view of the tables (it shows stored values by design), or
# the machine interface and its documentation (JSON and its codes, tests/api).
SKIPPED_PREFIXES = ("/accounts/logout/", "/i18n/", "/admin/", "/static/", "/api/")

INVISIBLE = {"script", "style", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag in INVISIBLE:
            self._hidden += 1
        if tag not in VOID:
            self._stack.append(tag)
        if self._hidden:
            return
        shown = [a.get("title"), a.get("alt"), a.get("placeholder")]
        if tag == "input" and (a.get("type") or "text") not in ("hidden", "checkbox", "radio"):
            shown.append(a.get("value"))
        self.parts += [" " + s + " " for s in shown if s]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            self.handle_starttag(tag, attrs)
        else:  # <x/> outside void elements: open and close at once
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self._stack:
            top = self._stack.pop()
            if top in INVISIBLE:
                self._hidden -= 1
            if top == tag:
                break
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> tuple[str, list[str]]:
    """The text a browser shows, and the links of the page."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip(), parser.links


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def xlsx_text(content: bytes) -> str:
    """Every cell as it is shown: numbers with the cell's number format (two decimals for
    money), dates as dates, and each sheet's name."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    out: list[str] = []
    for sheet in book.worksheets:
        out.append(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    out.append(shown_cell(cell))
    return "\n".join(out)


def shown_cell(cell: object) -> str:
    import datetime as dt

    value = cell.value  # type: ignore[attr-defined]
    number_format = getattr(cell, "number_format", "General") or "General"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}" if value.time() != dt.time() else f"{value:%Y-%m-%d}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float | int) and not isinstance(value, bool):
        match = re.search(r"0(?:\.(0+))?", number_format)
        if number_format != "General" and match:
            places = len(match.group(1) or "")
            return f"{value:,.{places}f}" if "," in number_format else f"{value:.{places}f}"
    return str(value)


@dataclass(frozen=True)
class Rendered:
    username: str
    url: str
    url_name: str
    kind: str  # "html", "pdf", "xlsx"
    text: str
    disposition: str = ""  # of a download: its Content-Disposition header

    @property
    def filename(self) -> str:
        """The name a browser saves the download under (``filename*`` first)."""
        return _download_name(self.disposition)

    def __str__(self) -> str:
        return f"{self.username} {self.url}"


def _download_name(disposition: str) -> str:
    from urllib.parse import unquote

    star = re.search(r"filename\*=UTF-8''([^;]+)", disposition, re.IGNORECASE)
    if star:
        return unquote(star.group(1))
    plain = re.search(r'filename="([^"]*)"', disposition)
    return plain.group(1) if plain else ""


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(
    client: Client,
    username: str,
    start: Iterable[str],
    *,
    per_name: int = 4,
    per_path: int = 3,
) -> Iterator[Rendered]:
    """Every page reachable from ``start`` by links, at most ``per_name`` distinct paths
    per URL name (the records of one kind) and ``per_path`` query strings per path (tabs,
    pages, filters). Yields each page and download that answered 200."""
    queue: list[str] = list(start)
    seen: set[str] = set()
    names: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    named_paths: set[str] = set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or parts.path.startswith(SKIPPED_PREFIXES):
            continue
        name = _url_name(parts.path)
        if name is None:
            continue
        if parts.path not in named_paths:
            if names[name] >= per_name:
                continue
            names[name] += 1
            named_paths.add(parts.path)
        if paths[parts.path] >= per_path:
            continue
        paths[parts.path] += 1
        response = client.get(url)
        if response.status_code != 200:
            continue
        content_type = response.get("Content-Type", "")
        disposition = response.get("Content-Disposition", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if content_type.startswith("text/html"):
            text, links = visible_text(body.decode())
            yield Rendered(username, url, name, "html", text)
            for link in links:
                target = urljoin(url, link).split("#", 1)[0]
                if target and target not in seen:
                    queue.append(target)
        elif content_type.startswith("application/pdf"):
            yield Rendered(username, url, name, "pdf", pdf_text(body), disposition)
        elif "spreadsheetml" in content_type:
            yield Rendered(username, url, name, "xlsx", xlsx_text(body), disposition)
