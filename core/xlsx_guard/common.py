"""Limits, the refusal and the constants of the hostile-file guard."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext as _

MB = 1024 * 1024
CHUNK = 64 * 1024
GROUP_ELEMENTS = 4096
"""XML elements one row (or one shared string) may hold: sixteen per column of the
widest row allowed, enough for formatted rich text, far below what hurts."""

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = f"{DOC_REL}/worksheet"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# openpyxl.reader.excel._find_workbook_part: these types, in this order, then the default.
WORKBOOK_CTS = (
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
# Parts openpyxl reads whole by their fixed names (openpyxl.xml.constants).
FIXED_PARTS = (
    "[Content_Types].xml",
    "docProps/core.xml",
    "docProps/custom.xml",
    "xl/styles.xml",
    "xl/theme/theme1.xml",
    "xl/workbook.xml",
)

WORKSHEET_ROOT = "{" + MAIN_NS + "}worksheet"
SST_ROOT = "{" + MAIN_NS + "}sst"

_PREFIX = rb"(?:[^\s<>/!?:=\"']+:)?"
# The rest of a tag: a ">" may stand inside a quoted attribute value.
_ATTRIBUTES = rb"""(?:[^>"']|"[^"]*"|'[^']*')*>"""
_SI_TAG = re.compile(rb"<(/?)" + _PREFIX + rb"si(?=[\s/>])" + _ATTRIBUTES)
_ROW_TAG = re.compile(rb"(<(/?)" + _PREFIX + rb"row(?=[\s/>])" + _ATTRIBUTES + rb")")
# The openings of a cell, <c …> or <x:c …> (counted in C; ":c " in a text counts too).
_CELL_OPENINGS = tuple(
    a + b"c" + b for a in (b"<", b":") for b in (b" ", b">", b"/", b"\t", b"\n", b"\r")
)
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?[0-9]""")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_DIMENSION = re.compile(
    rb"<" + _PREFIX + rb"""dimension\s(?:[^>"']|"[^"]*"|'[^']*')*?\bref\s*=\s*["']([^"']*)["']"""
)
_BLANKS = b" \t\r\n"
# What zipfile and zlib raise for a broken archive or member.
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Limits:
    """The caps; ``settings.IMPORT_XLSX_LIMITS`` holds the numbers (all of them)."""

    file_bytes: int  # the .xlsx itself (the upload limit)
    parts: int  # members of the zip
    part_bytes: int  # one worksheet or the shared strings, unpacked
    other_part_bytes: int  # any other member, unpacked
    total_bytes: int  # all members together, unpacked
    rows: int  # rows of a sheet, and the highest row number
    columns: int  # cells of a row, and the highest column
    cells: int  # cells (with a value or a format) in the workbook
    shared_strings: int  # distinct texts (the shared-strings table)
    markup_bytes: int  # one tag or one piece of text (a cell's value)
    elements: int  # XML elements in the workbook
    other_elements: int  # XML elements of any part but the worksheets and strings

    @classmethod
    def from_settings(cls) -> Limits:
        values = dict(settings.IMPORT_XLSX_LIMITS)
        values.setdefault("file_bytes", settings.UPLOAD_MAX_BYTES)
        return cls(**values)


class Refused(Exception):
    """The file is refused; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        message = capfirst(message)
        super().__init__(message)
        self.message = message


def _n(value: int) -> str:
    return f"{value:,}"


def _size(value: int) -> str:
    if value >= MB:
        return f"{value / MB:,.0f} MB"
    return f"{max(value // 1024, 1):,} KB"


def _column_letters(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_index(letters: bytes) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + char - 64
    return index


def not_a_workbook() -> Refused:
    return Refused(_("The file is not an Excel workbook (.xlsx)."))


def damaged() -> Refused:
    return Refused(_("The file is damaged and cannot be read; save it again in Excel."))
