"""Hostile .xlsx files, built by hand (zip parts written as a stream, so that a part
that unpacks to hundreds of megabytes is never held in memory while it is built).

Each builder writes a workbook a spreadsheet program would open as far as it goes —
content types, relationships, workbook, one sheet — with one thing made hostile.
``bench/imports.py`` builds the same files at full size; the tests build smaller ones
that are still far over every cap (``scale``).
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
BOOK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

ORG_HEADER = ["统一社会信用代码", "单位名称", "单位类型", "所属区县", "联系人", "联系电话"]

MB = 1024 * 1024
CHUNK = 1 << 20


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _col(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def inline_row(number: int, values: Iterable[str]) -> str:
    cells = "".join(
        f'<c r="{_col(i)}{number}" t="inlineStr"><is><t>{_xml(v)}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def header_row() -> str:
    return inline_row(1, ORG_HEADER)


def sheet_xml(body: Iterable[str], *, dimension: str | None = None) -> Iterator[str]:
    """A worksheet part, streamed: ``body`` are the pieces inside ``<sheetData>``."""
    yield f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
    if dimension:
        yield f'<dimension ref="{dimension}"/>'
    yield "<sheetData>"
    yield from body
    yield "</sheetData></worksheet>"


def write_package(
    target: IO[bytes],
    sheet: Iterable[str],
    *,
    shared_strings: Iterable[str] | None = None,
    extra: Iterable[tuple[str, Iterable[bytes]]] = (),
) -> None:
    """A minimal workbook (one sheet named Sheet1) with the given sheet XML, shared
    strings part and extra parts (name, byte chunks), each written as a stream."""
    overrides = [
        ("/xl/workbook.xml", BOOK_CT),
        ("/xl/worksheets/sheet1.xml", SHEET_CT),
    ]
    rels = [(f"{REL}/worksheet", "worksheets/sheet1.xml")]
    if shared_strings is not None:
        overrides.append(("/xl/sharedStrings.xml", SST_CT))
        rels.append((f"{REL}/sharedStrings", "sharedStrings.xml"))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
            + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{t}" Target="{target_}"/>'
                for i, (t, target_) in enumerate(rels, start=1)
            )
            + "</Relationships>",
        )
        _stream(book, "xl/worksheets/sheet1.xml", (s.encode() for s in sheet))
        if shared_strings is not None:
            _stream(book, "xl/sharedStrings.xml", (s.encode() for s in shared_strings))
        for name, chunks in extra:
            _stream(book, name, chunks)


def _stream(book: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with book.open(info, "w", force_zip64=True) as part:
        pending: list[bytes] = []
        size = 0
        for chunk in chunks:
            pending.append(chunk)
            size += len(chunk)
            if size >= CHUNK:
                part.write(b"".join(pending))
                pending, size = [], 0
        part.write(b"".join(pending))


def _repeat(piece: str, count: int) -> Iterator[str]:
    """``piece`` ``count`` times, in chunks of about a megabyte."""
    per_chunk = max(CHUNK // max(len(piece), 1), 1)
    block = piece * per_chunk
    full, rest = divmod(count, per_chunk)
    for _ in range(full):
        yield block
    yield piece * rest


# --- the hostile files ------------------------------------------------------------


def wide_row(target: IO[bytes], cells: int = 5_000_000) -> None:
    """One row of ``cells`` cells (no cell references: each is the next column)."""
    body = ["<row>", *_repeat("<c><v>1</v></c>", cells), "</row>"]
    write_package(target, sheet_xml([header_row(), *body]))


def huge_cell(target: IO[bytes], size: int = 400 * MB) -> None:
    """One inline-string cell that unpacks to ``size`` bytes."""
    body = [
        header_row(),
        '<row r="2"><c r="B2" t="inlineStr"><is><t>',
        *_repeat("a" * 1024, size // 1024),
        "</t></is></c></row>",
    ]
    write_package(target, sheet_xml(body))


def huge_shared_string(target: IO[bytes], size: int = 400 * MB) -> None:
    """One shared string that unpacks to ``size`` bytes, used by one cell."""
    strings = [
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="1" uniqueCount="1">',
        "<si><t>",
        *_repeat("a" * 1024, size // 1024),
        "</t></si></sst>",
    ]
    body = [header_row(), '<row r="2"><c r="B2" t="s"><v>0</v></c></row>']
    write_package(target, sheet_xml(body), shared_strings=strings)


def many_shared_strings(target: IO[bytes], count: int = 5_000_000) -> None:
    """Millions of tiny shared strings (each one is an object once read)."""
    strings = [
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">',
        *_repeat("<si><t>a</t></si>", count),
        "</sst>",
    ]
    body = [header_row(), '<row r="2"><c r="B2" t="s"><v>0</v></c></row>']
    write_package(target, sheet_xml(body), shared_strings=strings)


def declared_rows(target: IO[bytes], rows: int = 5_000_000) -> None:
    """A sheet that declares ``rows`` rows and 16 384 columns, and has its second row at
    the last of them (a reader fills every row in between)."""
    body = [
        header_row(),
        inline_row(rows, ["91330106MA2XXXXX0X", "某单位", "企业", "西湖区", "", ""]),
    ]
    write_package(target, sheet_xml(body, dimension=f"A1:XFD{rows}"))


def many_rows(target: IO[bytes], rows: int = 3_000_000) -> None:
    """Millions of real (tiny) rows."""
    body = [header_row(), *_repeat("<row><c><v>1</v></c></row>", rows)]
    write_package(target, sheet_xml(body))


def many_parts(target: IO[bytes], parts: int = 200_000) -> None:
    """A workbook with ``parts`` more (empty) zip entries."""
    buffer = io.BytesIO()
    write_package(buffer, sheet_xml([header_row()]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as book:
        for index in range(parts):
            book.writestr(zipfile.ZipInfo(f"p/{index}", date_time=(2026, 1, 1, 0, 0, 0)), b"")
    target.write(buffer.getvalue())


def zip_bomb(target: IO[bytes], size: int = 1024 * MB) -> None:
    """A part (an image nobody reads) of ``size`` zero bytes, its size stated truly."""
    zeros = bytes(CHUNK)
    extra = [("xl/media/image1.png", (zeros for _ in range(size // CHUNK)))]
    write_package(target, sheet_xml([header_row()]), extra=extra)


def zip_bomb_lying(target: IO[bytes], size: int = 1024 * MB, declared: int = 100 * MB) -> None:
    """The same bomb, its size fields saying it unpacks to ``declared`` bytes: within
    the cap of a part, so only counting what really comes out stops it."""
    buffer = io.BytesIO()
    zip_bomb(buffer, size)
    data = bytearray(buffer.getvalue())
    _patch_sizes(data, "xl/media/image1.png", declared)
    target.write(bytes(data))


def _patch_sizes(data: bytearray, name: str, size: int) -> None:
    """Rewrite the uncompressed size of ``name`` in its local header and its central
    directory entry (ZIP64 extra fields included) to ``size``."""
    encoded = name.encode()
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        local = book.getinfo(name).header_offset
    # local header: the uncompressed size at offset 22, the extra field after the name
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    _patch_one(data, local + 22, local + 30 + name_len, extra_len, size=size)
    # central directory entry: the uncompressed size at offset 24
    central = _central_entry(data, encoded)
    name_len, extra_len = struct.unpack_from("<HH", data, central + 28)
    _patch_one(data, central + 24, central + 46 + name_len, extra_len, size=size)


def _central_entry(data: bytearray, name: bytes) -> int:
    start = 0
    while True:
        position = data.find(b"PK\x01\x02", start)
        if position < 0:
            raise LookupError(name)
        name_len = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46 : position + 46 + name_len]) == name:
            return position
        start = position + 4


def _patch_one(data: bytearray, size_at: int, extra_at: int, extra_len: int, *, size: int) -> None:
    current = struct.unpack_from("<I", data, size_at)[0]
    if current != 0xFFFFFFFF:
        struct.pack_into("<I", data, size_at, size)
        return
    # ZIP64: the sizes live in the extra field (id 1): uncompressed size first
    end = extra_at + extra_len
    while extra_at + 4 <= end:
        tag, length = struct.unpack_from("<HH", data, extra_at)
        if tag == 1:
            struct.pack_into("<Q", data, extra_at + 4, size)
            return
        extra_at += 4 + length


def normal(target: IO[bytes], rows: Iterable[Iterable[str]]) -> None:
    """An ordinary organisations file (header and the given rows)."""
    body = [header_row(), *(inline_row(n, r) for n, r in enumerate(rows, start=2))]
    write_package(target, sheet_xml(body, dimension=None))


# (name, Chinese description, builder at full size, builder at test size)
Builder = Callable[[IO[bytes]], None]
HOSTILE: list[tuple[str, str, Builder, Builder]] = [
    ("wide_row", "一行 500 万个单元格", wide_row, lambda f: wide_row(f, 300_000)),
    ("huge_cell", "一个单元格解压后 400 MB", huge_cell, lambda f: huge_cell(f, 80 * MB)),
    (
        "huge_shared_string",
        "一个共享字符串解压后 400 MB",
        huge_shared_string,
        lambda f: huge_shared_string(f, 80 * MB),
    ),
    (
        "many_shared_strings",
        "500 万个共享字符串",
        many_shared_strings,
        lambda f: many_shared_strings(f, 1_500_000),
    ),
    ("declared_rows", "声明 500 万行", declared_rows, declared_rows),
    ("many_rows", "300 万个真实的行", many_rows, lambda f: many_rows(f, 400_000)),
    ("many_parts", "20 万个压缩包成员", many_parts, lambda f: many_parts(f, 20_000)),
    ("zip_bomb", "一个成员解压后 1 GB", zip_bomb, lambda f: zip_bomb(f, 200 * MB)),
    (
        "zip_bomb_lying",
        "一个成员解压后 1 GB，声明只有 100 MB",
        zip_bomb_lying,
        lambda f: zip_bomb_lying(f, 200 * MB),
    ),
]


def build(path: Path, builder: Builder) -> Path:
    with path.open("wb") as target:
        builder(target)
    return path
