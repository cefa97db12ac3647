"""The zip and each of its parts, scanned as a stream."""

from __future__ import annotations

import contextlib
import struct
import xml.parsers.expat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from .common import (
    _BLANKS,
    _BOM,
    _BROKEN,
    _CELL_OPENINGS,
    _CELL_REF,
    _DIMENSION,
    _ROW_NUMBER,
    _ROW_TAG,
    _SI_TAG,
    CT_NS,
    DOC_REL,
    GROUP_ELEMENTS,
    MAIN_NS,
    MB,
    PKG_REL_NS,
    SST_ROOT,
    WORKSHEET_ROOT,
    Limits,
    Refused,
    _column_letters,
    _n,
    _size,
    damaged,
    not_a_workbook,
)

# --- the zip ----------------------------------------------------------------------


def _directory(file: IO[bytes], size: int) -> tuple[int, int]:
    """(declared members, central directory bytes) from the end-of-central-directory
    record (and its ZIP64 twin), read before :mod:`zipfile` reads the directory."""
    tail = min(size, 22 + 65535)
    file.seek(size - tail)
    data = file.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < 22:
        raise not_a_workbook()
    members, directory = struct.unpack_from("<HI", data, at + 10)
    if at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", data, at - 20 + 8)[0]
        if offset + 56 <= size:
            file.seek(offset)
            record = file.read(56)
            if record[:4] == b"PK\x06\x06":
                members, directory = struct.unpack_from("<QQ", record, 32)
    return members, directory


def _open_zip(file: IO[bytes], limits: Limits) -> zipfile.ZipFile:
    file.seek(0, 2)
    size = file.tell()
    if size > limits.file_bytes:
        raise Refused(
            _("The file is %(size)d MB; the limit is %(limit)d MB.")
            % {"size": -(-size // MB), "limit": limits.file_bytes // MB}
        )
    members, directory = _directory(file, size)
    # A member's directory entry is 46 bytes and its name; 1 KB each is plenty.
    if members > limits.parts or directory > limits.parts * 1024:
        raise _too_many_parts(max(members, directory // 1024), limits)
    file.seek(0)
    try:
        book = zipfile.ZipFile(file)
    except _BROKEN:
        raise not_a_workbook() from None
    if len(book.infolist()) > limits.parts:
        raise _too_many_parts(len(book.infolist()), limits)
    return book


def _too_many_parts(count: int, limits: Limits) -> Refused:
    return Refused(
        _(
            "The workbook is made of %(n)s parts (files inside the .xlsx); at most "
            "%(limit)s are allowed. Copy the data into a new workbook and save that."
        )
        % {"n": _n(count), "limit": _n(limits.parts)}
    )


# --- one part ---------------------------------------------------------------------


class _Root(Exception):
    """Leaves expat once the root element is known."""


@dataclass
class _Totals:
    """What the whole workbook has used up so far."""

    bytes: int = 0
    cells: int = 0
    strings: int = 0
    elements: int = 0


@dataclass
class _Part:
    """What the scan learnt about one member."""

    name: str
    xml: bool = False
    root: str = ""  # "{namespace}local"
    bytes: int = 0
    elements: int = 0
    # collected from small parts, to decide the roles of the others
    overrides: list[tuple[str, str]] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)
    relationships: list[tuple[str, str, str, str]] = field(default_factory=list)
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (name, r:id)


class _Scanner:
    """Streams one member's bytes through the checks."""

    def __init__(
        self, part: _Part, limits: Limits, totals: _Totals, label: Callable[[], str]
    ) -> None:
        self.part = part
        self.limits = limits
        self.totals = totals
        self.label = label  # the sheet's name for messages, when it is known
        self.started = False
        self.run = 0  # bytes since the last ">"
        self.tail = b""
        self.expat: Any = None
        self.collect = False
        self.strings = False  # the shared strings: groups are <si>, not <row>
        self.in_group = False
        self.group_elements = 0
        self.group_cells = 0
        self.row = 0  # the row number openpyxl would give the current row
        self.rows = 0
        self.outside = 0  # elements of a sheet or strings part outside rows / strings
        self.dimension_seen = False
        self.column_cap = _column_letters(limits.columns).encode()

    # -- feeding ----------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        part = self.part
        part.bytes += len(chunk)
        self.totals.bytes += len(chunk)
        if part.bytes > self.limits.part_bytes:
            raise Refused(
                _(
                    "“%(part)s” inside the workbook unpacks to more than %(limit)s; a "
                    "part of a workbook may be at most %(limit)s."
                )
                % {"part": part.name, "limit": _size(self.limits.part_bytes)}
            )
        if self.totals.bytes > self.limits.total_bytes:
            raise Refused(
                _(
                    "The workbook unpacks to more than %(limit)s in all; at most %(limit)s "
                    "is allowed. Split the data into smaller files."
                )
                % {"limit": _size(self.limits.total_bytes)}
            )
        if not self.started:
            chunk = self._start(chunk)
        if part.xml and chunk:
            self._markup(chunk)
            self._expat(chunk)
            # The last tag waits for the next chunk, so that every tag is scanned
            # whole (the text after it is bounded by markup_bytes).
            buffer = self.tail + chunk if self.tail else chunk
            cut = buffer.rfind(b"<")
            if cut < 0:
                self.tail = b""
                self._scan(buffer)
            else:
                self.tail = buffer[cut:]
                self._scan(buffer[:cut])
        if not part.xml or self.root_known():
            self._other_budget()

    def close(self) -> None:
        if self.tail:
            self._scan(self.tail)
            self.tail = b""
        self.in_group = False
        if self.expat is not None:
            with contextlib.suppress(_Root, xml.parsers.expat.ExpatError):
                self.expat.Parse(b"", True)
            self.expat = None

    def root_known(self) -> bool:
        return bool(self.part.root)

    def _start(self, chunk: bytes) -> bytes:
        """Decide whether the part is XML (its first character is ``<``)."""
        head = chunk.lstrip(_BLANKS)
        if head.startswith(_BOM):
            head = head[len(_BOM) :].lstrip(_BLANKS)
        if not head:
            return chunk
        self.started = True
        if head[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00") or (
            head[:1] == b"\x00" and head.lstrip(b"\x00")[:1] == b"<"
        ):
            # XML in UTF-16 or UTF-32: Excel never writes it, and the scan reads bytes.
            raise damaged()
        self.part.xml = head.startswith(b"<")
        if self.part.xml:
            self.expat = xml.parsers.expat.ParserCreate(namespace_separator="}")
            self.expat.StartDoctypeDeclHandler = self._doctype
            self.expat.EntityDeclHandler = self._doctype
            self.expat.StartElementHandler = self._root
        return chunk

    # -- expat: the root element, DOCTYPE, and the attributes of small parts ----

    def _expat(self, chunk: bytes) -> None:
        if self.expat is None:
            return
        try:
            self.expat.Parse(chunk, False)
        except _Root:
            self.expat = None
        except xml.parsers.expat.ExpatError:
            # Not well-formed: openpyxl fails on it too, if it ever reads it.
            self.expat = None
            self.part.root = self.part.root or "?"

    def _doctype(self, *args: Any) -> None:
        raise Refused(
            _(
                "“%(part)s” inside the workbook declares a document type, which Excel "
                "never writes; the file is refused."
            )
            % {"part": self.part.name}
        )

    def _root(self, name: str, attributes: dict[str, str]) -> None:
        root = "{" + name if "}" in name else name
        self.part.root = root
        if root == SST_ROOT:
            self.strings = True
        if root in (
            "{" + CT_NS + "}Types",
            "{" + PKG_REL_NS + "}Relationships",
            "{" + MAIN_NS + "}workbook",
        ):
            self.expat.StartElementHandler = self._attributes
            return
        raise _Root

    def _attributes(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition("}")[2]
        part = self.part
        if local == "Override":
            part.overrides.append(
                (attributes.get("PartName", ""), attributes.get("ContentType", ""))
            )
        elif local == "Default":
            part.defaults.append(attributes.get("ContentType", ""))
        elif local == "Relationship":
            part.relationships.append(
                (
                    attributes.get("Id", ""),
                    attributes.get("Type", ""),
                    attributes.get("Target", ""),
                    attributes.get("TargetMode", ""),
                )
            )
        elif local == "sheet":
            part.sheets.append((attributes.get("name", ""), attributes.get(DOC_REL + "}id", "")))

    # -- bytes ------------------------------------------------------------------

    def _markup(self, chunk: bytes) -> None:
        """No tag and no piece of text longer than ``markup_bytes``."""
        pieces = chunk.split(b">")
        longest = max(self.run + len(pieces[0]), max(map(len, pieces[1:]), default=0))
        self.run = len(pieces[-1]) if len(pieces) > 1 else self.run + len(chunk)
        if longest > self.limits.markup_bytes:
            raise Refused(
                _(
                    "%(where)s holds a cell value or a piece of markup longer than "
                    "%(limit)s (an Excel cell holds at most 32,767 characters)."
                )
                % {"where": self._where(), "limit": _size(self.limits.markup_bytes)}
            )

    def _scan(self, data: bytes) -> None:
        """Counts over ``data``, which ends at a tag boundary."""
        if not data:
            return
        if self.strings:
            self._scan_strings(data)
        else:
            self._scan_rows(data)

    def _scan_rows(self, data: bytes) -> None:
        """Rows (of a worksheet, or of any part: openpyxl takes a row for a row
        wherever it is). Up to a hundred thousand of them, so the work per row is
        small: its cells and elements are counted only when it is long enough to hold
        too many (a cell takes at least four bytes, ``<c/>``)."""
        if not self.dimension_seen and self.rows == 0:
            found = _DIMENSION.search(data)
            if found:
                self.dimension_seen = True
                self._dimension(found.group(1))
        self._count(_elements(data))
        self.totals.cells += _cells(data)
        if self.totals.cells > self.limits.cells:
            raise Refused(
                _(
                    "The workbook has more than %(limit)s cells (with a value or a "
                    "format); at most %(limit)s are allowed. Split the data into smaller "
                    "files."
                )
                % {"limit": _n(self.limits.cells)}
            )
        wide = self._beyond(_CELL_REF.findall(data))
        pieces = _ROW_TAG.split(data)  # text, tag, "/" or "", text, …
        texts, tags, slashes = pieces[0::3], pieces[1::3], pieces[2::3]
        last = len(tags) - 1
        self._row_piece(texts[0], exact=True, wide=wide)
        for index, (tag, slash, text) in enumerate(zip(tags, slashes, texts[1:], strict=True)):
            if slash:
                self.in_group = False
            else:
                self._start_row(tag)
                self.in_group = not tag.endswith(b"/>")
            if text:
                self._row_piece(text, exact=index == last, wide=wide)
        if wide:  # in a part with no rows
            self._wide(wide)

    def _row_piece(self, text: bytes, *, exact: bool, wide: bytes) -> None:
        """The text after a row's start tag (its cells), or between rows."""
        if not self.in_group:
            if exact or text.strip():
                # openpyxl keeps every element outside the rows until the end
                self.outside += _elements(text)
                if self.outside > self.limits.other_elements:
                    raise self._complex(self.limits.other_elements)
            return
        if wide and self._beyond(_CELL_REF.findall(text)):
            self._wide(wide)
        if not exact and len(text) <= 4 * self.limits.columns:
            return
        elements = _elements(text)
        self.group_elements += elements
        if exact or elements > self.limits.columns:
            self.group_cells += _cells(text)
        if self.group_cells > self.limits.columns:
            raise Refused(
                _(
                    "Row %(row)s of %(sheet)s has more than %(limit)s cells; at most "
                    "%(limit)s columns are allowed."
                )
                % {"row": _n(self.row), "sheet": self.label(), "limit": _n(self.limits.columns)}
            )
        self._group_check()

    def _start_row(self, tag: bytes) -> None:
        self.group_elements = self.group_cells = 0
        self.rows += 1
        number = _row_number(tag)
        self.row = number if number is not None else self.row + 1
        if self.rows > self.limits.rows or self.row > self.limits.rows:
            raise Refused(
                _(
                    "%(where)s has more than %(limit)s rows; at most %(limit)s are "
                    "allowed. Split the data into smaller files."
                )
                % {"where": self.label(), "limit": _n(self.limits.rows)}
            )

    def _beyond(self, references: list[bytes]) -> bytes:
        """The widest column reference beyond the last column allowed, or b""."""
        if not references:
            return b""
        cap = self.column_cap
        longest = max(map(len, references))
        if longest < len(cap):
            return b""
        widest = max(r.upper() for r in references if len(r) == longest)
        return widest if longest > len(cap) or widest > cap else b""

    def _wide(self, column: bytes) -> None:
        where = (
            _("Row %(row)s of %(sheet)s") % {"row": _n(self.row), "sheet": self.label()}
            if self.in_group
            else self.label()
        )
        raise Refused(
            _(
                "%(where)s has a value in column %(column)s; at most %(limit)s columns (up "
                "to column %(last)s) are allowed."
            )
            % {
                "where": where,
                "column": column.decode(),
                "limit": _n(self.limits.columns),
                "last": self.column_cap.decode(),
            }
        )

    def _scan_strings(self, data: bytes) -> None:
        """The shared strings: hundreds of thousands of ``<si>``, so the work per
        string is kept small — a string's elements are counted only when it is long
        enough to hold too many (an element takes at least four bytes, ``<a/>``), and
        what lies between two strings only when it is more than blanks."""
        self._count(_elements(data))
        pieces = _SI_TAG.split(data)  # text, "/" or "", text, "/" or "", …
        texts, marks = pieces[0::2], pieces[1::2]
        self._strings_piece(texts[0])  # continues the string (or the gap) before
        if not marks:
            return
        started = marks.count(b"")
        self.totals.strings += started
        if self.totals.strings > self.limits.shared_strings:
            raise Refused(
                _(
                    "The workbook holds more than %(limit)s different texts (shared "
                    "strings); at most %(limit)s are allowed. Split the data into "
                    "smaller files."
                )
                % {"limit": _n(self.limits.shared_strings)}
            )
        following = texts[1:]
        long = 4 * GROUP_ELEMENTS
        suspicious = [
            (mark, text)
            for mark, text in zip(marks[:-1], following[:-1], strict=True)
            if (text.strip() if mark else len(text) > long)
        ]
        for mark, text in [*suspicious, (marks[-1], following[-1])]:
            self.in_group = not mark
            self.group_elements = 0
            self._strings_piece(text)

    def _strings_piece(self, text: bytes) -> None:
        if not text:
            return
        if self.in_group:
            self.group_elements += _elements(text)
            self._group_check()
        else:
            # openpyxl keeps every element outside the strings until the end
            self.outside += _elements(text)
            if self.outside > self.limits.other_elements:
                raise self._complex(self.limits.other_elements)

    def _count(self, elements: int) -> None:
        self.part.elements += elements
        self.totals.elements += elements
        if self.totals.elements > self.limits.elements:
            raise self._complex(self.limits.elements)

    def _group_check(self) -> None:
        if self.group_elements > GROUP_ELEMENTS:
            raise Refused(
                _("%(where)s holds more than %(limit)s XML elements in one row or one text.")
                % {"where": self._where(), "limit": _n(GROUP_ELEMENTS)}
            )

    def _dimension(self, reference: bytes) -> None:
        from openpyxl.utils.cell import range_boundaries

        try:
            _min_col, _min_row, max_col, max_row = range_boundaries(reference.decode())
        except (ValueError, TypeError, UnicodeDecodeError):
            return  # openpyxl refuses it as well
        if (max_row or 0) > self.limits.rows or (max_col or 0) > self.limits.columns:
            raise Refused(
                _(
                    "%(where)s says it spans %(rows)s rows and %(columns)s columns "
                    "(%(ref)s); at most %(max_rows)s rows and %(max_columns)s columns are "
                    "allowed. Delete the empty rows and columns after the data and save "
                    "it again."
                )
                % {
                    "where": self.label(),
                    "rows": _n(max_row or 0),
                    "columns": _n(max_col or 0),
                    "ref": reference.decode(errors="replace")[:40],
                    "max_rows": _n(self.limits.rows),
                    "max_columns": _n(self.limits.columns),
                }
            )

    # -- budgets and messages ---------------------------------------------------

    def _other_budget(self) -> None:
        """A part that is not a worksheet or the shared strings is small."""
        if self.part.root in (WORKSHEET_ROOT, SST_ROOT):
            return
        check_small(self.part, self.limits)

    def _complex(self, limit: int) -> Refused:
        return Refused(
            _(
                "%(where)s is too complex: more than %(limit)s XML elements. Copy the data "
                "into a new workbook and save that."
            )
            % {"where": self.label(), "limit": _n(limit)}
        )

    def _where(self) -> str:
        if not self.strings and self.in_group and self.row:
            return _("Row %(row)s of %(sheet)s") % {"row": _n(self.row), "sheet": self.label()}
        return self.label()


def _elements(data: bytes, start: int = 0, end: int | None = None) -> int:
    """Start tags in ``data[start:end]``: every ``<`` but those of end tags, comments,
    CDATA, declarations and processing instructions (an upper bound: a ``<`` inside a
    comment counts)."""
    end = len(data) if end is None else end
    return (
        data.count(b"<", start, end)
        - data.count(b"</", start, end)
        - data.count(b"<!", start, end)
        - data.count(b"<?", start, end)
    )


def _cells(data: bytes) -> int:
    return sum(data.count(opening) for opening in _CELL_OPENINGS)


def _row_number(tag: bytes) -> int | None:
    """The row's ``r`` as openpyxl reads it (an integer, or a float that is one)."""
    found = _ROW_NUMBER.search(tag)
    if not found:
        return None
    text = found.group(1).decode(errors="replace")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def check_small(part: _Part, limits: Limits) -> None:
    if part.bytes > limits.other_part_bytes:
        raise Refused(
            _(
                "“%(part)s” inside the workbook unpacks to more than %(limit)s; apart "
                "from the sheets and their texts, a part may be at most %(limit)s."
            )
            % {"part": part.name, "limit": _size(limits.other_part_bytes)}
        )
    if part.elements > limits.other_elements:
        raise Refused(
            _(
                "“%(part)s” inside the workbook is too complex: more than %(limit)s XML "
                "elements. Copy the data into a new workbook and save that."
            )
            % {"part": part.name, "limit": _n(limits.other_elements)}
        )
