"""The workbook as a whole: which part is what, and the inspection."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from .common import (
    _BROKEN,
    CHUNK,
    DOC_REL,
    FIXED_PARTS,
    SST_CT,
    SST_ROOT,
    WORKBOOK_CTS,
    WORKSHEET_CT,
    WORKSHEET_REL,
    WORKSHEET_ROOT,
    Limits,
    Refused,
    _size,
    damaged,
)
from .parts import (
    _open_zip,
    _Part,
    _Scanner,
    _Totals,
    check_small,
)

# --- the workbook -----------------------------------------------------------------


def _resolve(source: str, target: str) -> str:
    """A relationship's target as openpyxl resolves it
    (``openpyxl.packaging.relationship.get_dependents``)."""
    if target.startswith("/"):
        return target[1:]
    folder = posixpath.dirname(source)  # ".../_rels"
    return posixpath.normpath(posixpath.join(posixpath.split(folder)[0], target))


def _rels_of(name: str) -> str:
    folder, leaf = posixpath.split(name)
    return posixpath.join(folder, "_rels", f"{leaf}.rels")


@dataclass
class Inspection:
    """What the guard found in a file it let through."""

    limits: Limits
    parts: int
    bytes: int
    cells: int
    strings: int
    elements: int


def inspect(file: IO[bytes], limits: Limits | None = None) -> Inspection:
    """Every check of this module, or :class:`Refused`. Reads the file as a stream;
    leaves it positioned at its start."""
    limits = limits or Limits.from_settings()
    try:
        return _inspect(file, limits)
    finally:
        file.seek(0)


def _inspect(file: IO[bytes], limits: Limits) -> Inspection:
    book = _open_zip(file, limits)
    totals = _Totals()
    infos = book.infolist()
    declared = 0
    for info in infos:
        declared += info.file_size
        if info.file_size > limits.part_bytes:
            raise Refused(
                _(
                    "“%(part)s” inside the workbook unpacks to more than %(limit)s; a "
                    "part of a workbook may be at most %(limit)s."
                )
                % {"part": info.filename, "limit": _size(limits.part_bytes)}
            )
    if declared > limits.total_bytes:
        raise Refused(
            _(
                "The workbook unpacks to more than %(limit)s in all; at most %(limit)s "
                "is allowed. Split the data into smaller files."
            )
            % {"limit": _size(limits.total_bytes)}
        )

    # Content types first, then relationships and the workbook, so that a sheet's
    # name is known when a message needs it.
    def order(index_info: tuple[int, zipfile.ZipInfo]) -> tuple[int, int]:
        index, info = index_info
        name = info.filename
        if name == "[Content_Types].xml":
            return (0, index)
        if name.endswith(".rels"):
            return (1, index)
        if name.endswith("workbook.xml"):
            return (2, index)
        return (3, index)

    parts: list[_Part] = []

    def label_for(name: str) -> Callable[[], str]:
        def label() -> str:  # only when a message needs it
            sheet = _sheet_names(parts).get(name)
            if sheet:
                return _("sheet “%(sheet)s”") % {"sheet": sheet}
            return _("“%(part)s” inside the workbook") % {"part": name}

        return label

    for _index, info in sorted(enumerate(infos), key=order):
        part = _Part(info.filename)
        parts.append(part)
        scanner = _Scanner(part, limits, totals, label_for(info.filename))
        try:
            with book.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    scanner.feed(chunk)
        except _BROKEN:
            # a bad CRC (a size that lies), a broken stream, an unknown compression,
            # encryption ("password required" is a RuntimeError)
            raise damaged() from None
        scanner.close()

    streamed = _streamed_parts(parts)
    for part in parts:
        if part.name not in streamed:
            check_small(part, limits)
    return Inspection(
        limits=limits,
        parts=len(infos),
        bytes=totals.bytes,
        cells=totals.cells,
        strings=totals.strings,
        elements=totals.elements,
    )


def _workbook_part(parts: list[_Part]) -> str:
    types = next((p for p in parts if p.name == "[Content_Types].xml"), None)
    overrides = types.overrides if types else []
    for content_type in WORKBOOK_CTS:
        for name, type_ in overrides:
            if type_ == content_type:
                return name[1:]
    return "xl/workbook.xml"


def _sheet_names(parts: list[_Part]) -> dict[str, str]:
    workbook = _workbook_part(parts)
    book = next((p for p in parts if p.name == workbook), None)
    rels = next((p for p in parts if p.name == _rels_of(workbook)), None)
    if book is None or rels is None:
        return {}
    targets = {
        rid: _resolve(rels.name, target)
        for rid, _type, target, mode in rels.relationships
        if mode != "External"
    }
    return {targets[rid]: name for name, rid in book.sheets if rid in targets}


def _streamed_parts(parts: list[_Part]) -> set[str]:
    """The parts openpyxl reads as a stream (the worksheets of the workbook and its
    shared strings), each with that one role only; all others are small."""
    roles: dict[str, list[str]] = {}
    for part in parts:
        roles.setdefault(part.name, [])
    for fixed in FIXED_PARTS:
        roles.setdefault(fixed, []).append("fixed")
    workbook = _workbook_part(parts)
    roles.setdefault(workbook, []).append("workbook")
    for part in parts:
        if part.name.endswith(".rels"):
            roles[part.name].append("rels")
        for name, content_type in part.overrides:
            role = {SST_CT: "sst", WORKSHEET_CT: "worksheet-type"}.get(content_type, "typed")
            roles.setdefault(name[1:], []).append(role)
        for _rid, type_, target, mode in part.relationships:
            if mode == "External":
                continue
            resolved = _resolve(part.name, target)
            if type_ == WORKSHEET_REL and part.name == _rels_of(workbook):
                roles.setdefault(resolved, []).append("worksheet")
            elif type_ == f"{DOC_REL}/sharedStrings":
                roles.setdefault(resolved, []).append("sst-rel")
            else:
                roles.setdefault(resolved, []).append("target")
    streamed = set()
    for part in parts:
        kinds = set(roles.get(part.name, [])) - {"worksheet-type", "sst-rel"}
        if (part.root, kinds) in ((WORKSHEET_ROOT, {"worksheet"}), (SST_ROOT, {"sst"})):
            streamed.add(part.name)
    return streamed
