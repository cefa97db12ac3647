"""The 单位 (organisations) workbook of DESIGN §7, and the cell parsers other apps'
workbooks share: districts (所属区县) and organisations (工作单位).

Columns: 统一社会信用代码, 单位名称, 单位类型, 所属区县, 联系人, 联系电话. A row creates the
organisation, or updates the one with the same credit code; an unchanged row is
skipped, so importing a file twice creates nothing twice. An officer imports only
organisations of the districts in their area.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import importing
from core.importing import CellError, Column, CommitSummary, ParseResult, Row, RowError

from . import services
from .identifiers import normalise, validate_credit_code
from .models import Organisation, OrgUnit
from .navigation import register_nav
from .permissions import scope_of
from .roles import REGISTRY_EDITORS

# 单位类型: the labels people write → Organisation.Type.
ORGANISATION_TYPES: dict[str, str] = {
    "企业": Organisation.Type.ENTERPRISE,
    "事业单位": Organisation.Type.INSTITUTION,
    "社会团体": Organisation.Type.SOCIAL,
    "农民专业合作社": Organisation.Type.COOPERATIVE,
    "机关": Organisation.Type.GOVERNMENT,
    "高等院校": Organisation.Type.UNIVERSITY,
    "科研院所": Organisation.Type.RESEARCH,
    "其他": Organisation.Type.OTHER,
}
_TYPE_VARIANTS: dict[str, str] = {
    "社会组织": Organisation.Type.SOCIAL,
    "专业合作社": Organisation.Type.COOPERATIVE,
    "合作社": Organisation.Type.COOPERATIVE,
    "行政机关": Organisation.Type.GOVERNMENT,
    "党政机关": Organisation.Type.GOVERNMENT,
    "高校": Organisation.Type.UNIVERSITY,
    "科研机构": Organisation.Type.RESEARCH,
    **{value: value for value in Organisation.Type.values},
}


def _max_length(model: Any, name: str) -> int:
    return int(model._meta.get_field(name).max_length)


# --- 姓名 ---------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")


def person_name(max_length: int) -> importing.Parser:
    """A person's name: a stray space inside a Chinese name (张 三) is dropped."""
    plain = importing.text(max_length)

    def parse(value: Any) -> str:
        name = plain(value)
        return re.sub(r"\s+", "", name) if _CJK.search(name) else name

    return parse


# --- 所属区县 -------------------------------------------------------------------


def district_parser(*, actor: Any, roles: Iterable[str]) -> importing.Parser:
    """所属区县 → the district (OrgUnit), by name (simplified or traditional, with or
    without its city in front, with or without 区/县), or by its 6-digit code. With an
    ``actor``, a district outside the subtrees where they hold one of ``roles`` is
    refused; ``actor=None`` (the command line without ``--as``) may use any."""
    districts = list(OrgUnit.objects.districts().select_related("parent", "parent__parent"))
    by_key: dict[str, list[OrgUnit]] = defaultdict(list)
    for unit in districts:
        names = {unit.code[:6], unit.name}
        short = re.sub(r"(自治县|自治旗|区|县|市|旗)$", "", unit.name)
        if len(short) >= 2:
            names.add(short)
        if unit.parent is not None:
            names.add(unit.parent.name + unit.name)
            if unit.parent.parent is not None:
                names.add(unit.parent.parent.name + unit.parent.name + unit.name)
        for key in {k for name in names for k in importing.name_keys(name)}:
            if unit not in by_key[key]:
                by_key[key].append(unit)
    allowed: tuple[str, ...] | None = None
    area = ""
    if actor is not None:
        allowed = scope_of(actor).paths_for(roles)
        area = "、".join(
            OrgUnit.objects.filter(path__in=allowed).order_by("path").values_list("name", flat=True)
        )

    def parse(value: Any) -> OrgUnit:
        written = importing.cell_text(value)
        found = by_key.get(importing.name_key(value), [])
        if not found:
            raise CellError(
                _(
                    "“%(value)s” is not a district (区县) known to the system; write its "
                    "name, e.g. 余杭区, or its 6-digit code."
                )
                % {"value": written}
            )
        if len(found) > 1:
            raise CellError(
                _("“%(value)s” could be %(choices)s; write the city too, or the 6-digit code.")
                % {
                    "value": written,
                    "choices": "、".join(
                        f"{u.parent.name if u.parent else ''}{u.name} ({u.code})" for u in found
                    ),
                }
            )
        unit = found[0]
        if allowed is not None and not any(unit.path.startswith(p) for p in allowed):
            raise CellError(
                _("%(district)s is outside your area (%(area)s); you may not import for it.")
                % {"district": unit.name, "area": area or "—"}
            )
        return unit

    return parse


# --- 工作单位 -------------------------------------------------------------------


def organisation_parser(*, queryset: Any) -> importing.Parser:
    """An organisation's pk by its name (spaces, full-width brackets, traditional
    characters forgiven) or its 统一社会信用代码, among ``queryset`` (what the user may
    see). Unknown or ambiguous names are refused. Loaded on the first non-blank cell."""
    by_name: dict[str, list[tuple[int, str]]] = {}
    by_code: dict[str, int] = {}

    def load() -> None:
        for pk, name, code in queryset.values_list("pk", "name", "credit_code").iterator():
            by_name.setdefault(importing.name_key(name), []).append((pk, code))
            by_code[code] = pk

    def parse(value: Any) -> int:
        if not by_code:
            load()
        written = importing.cell_text(value)
        code = normalise(written)
        if code in by_code:
            return by_code[code]
        found = by_name.get(importing.name_key(value), [])
        if len(found) == 1:
            return found[0][0]
        if not found:
            raise CellError(
                _(
                    "No organisation named “%(value)s” is registered; register it first "
                    "(import 单位), or leave the cell empty."
                )
                % {"value": written}
            )
        raise CellError(
            _(
                "Several organisations are named “%(value)s” (%(codes)s); write the unified "
                "social credit code instead."
            )
            % {"value": written, "codes": "、".join(c for _pk, c in found)}
        )

    return parse


# --- the 单位 importer ---------------------------------------------------------


class OrganisationImporter(importing.Importer):
    label = gettext_lazy("Organisations (单位)")
    description = gettext_lazy(
        "Creates organisations, or updates the one with the same unified social credit "
        "code; unchanged rows are skipped. A blank contact cell keeps what is stored."
    )
    permission = "accounts.add_organisation"
    sheet_name = "单位"
    key = "credit_code"
    # The dry run is the import itself, rolled back: the accounts services validate
    # every row once, in the dry run and in the import alike.
    dry_run_rehearses_commit = True
    columns = (
        Column(
            "credit_code",
            "统一社会信用代码",
            importing.identifier(normalise, validate_credit_code),
            required=True,
            as_text=True,
            help=gettext_lazy("18 characters; the check character is verified."),
        ),
        Column(
            "name",
            "单位名称",
            importing.text(_max_length(Organisation, "name")),
            required=True,
            help=gettext_lazy("The registered name."),
        ),
        Column(
            "org_type",
            "单位类型",
            importing.choice({**ORGANISATION_TYPES, **_TYPE_VARIANTS}, shown=ORGANISATION_TYPES),
            required=True,
            help="、".join(ORGANISATION_TYPES),
        ),
        Column(
            "region",
            "所属区县",
            required=True,
            help=gettext_lazy(
                "A district of your area: its name (余杭区, 杭州市余杭区, 餘杭區) or its "
                "6-digit code (330110)."
            ),
        ),
        Column(
            "contact_name",
            "联系人",
            importing.text(_max_length(Organisation, "contact_name")),
        ),
        Column(
            "contact_phone",
            "联系电话",
            importing.phone(_max_length(Organisation, "contact_phone")),
            as_text=True,
            help=gettext_lazy("For example 0571-87650001 or 13800000000."),
        ),
    )
    example = (
        {
            "credit_code": "91330106MA2H00001E",
            "name": "杭州示例农业科技有限公司",
            "org_type": "企业",
            "region": "西湖区",
            "contact_name": "张三",
            "contact_phone": "0571-87650000",
        },
    )

    def parsers(self, *, actor: Any, options: Mapping[str, Any]) -> Mapping[str, importing.Parser]:
        return {"region": district_parser(actor=actor, roles=REGISTRY_EDITORS)}

    def _data(self, rows: Sequence[Row]) -> list[services.OrganisationData]:
        return [
            services.OrganisationData(
                credit_code=row["credit_code"],
                name=row["name"],
                org_type=row["org_type"],
                region=row["region"],
                contact_name=row["contact_name"],
                contact_phone=row["contact_phone"],
            )
            for row in rows
        ]

    def _bulk_errors(
        self, rows: Sequence[Row], errors: dict[int, dict[str, list[str]]]
    ) -> list[RowError]:
        headers = {c.code: c.header for c in self.columns}
        return [
            RowError(rows[index].number, headers.get(name, headers["credit_code"]), message)
            for index, fields in errors.items()
            for name, messages in fields.items()
            for message in messages
        ]

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        if actor is None:
            return
        # An organisation registered outside the user's area is not theirs to change.
        allowed = scope_of(actor).paths_for(REGISTRY_EDITORS)
        codes = [row["credit_code"] for row in result.rows]
        outside: set[str] = set()
        for chunk in importing.chunked(codes):
            for code, path in Organisation.objects.filter(credit_code__in=chunk).values_list(
                "credit_code", "region__path"
            ):
                if not any(path.startswith(p) for p in allowed):
                    outside.add(code)
        for row in result.rows:
            if row["credit_code"] in outside:
                result.add_error(
                    row,
                    "credit_code",
                    _(
                        "This code belongs to an organisation registered outside your "
                        "area; ask the officer in charge of it."
                    ),
                )

    def commit(
        self,
        rows: Sequence[Row],
        *,
        actor: Any,
        options: Mapping[str, Any],
        progress: importing.Progress | None = None,
    ) -> CommitSummary:
        """``organisation_bulk_upsert`` in chunks (progress in between), all inside the
        caller's transaction. Once a chunk is refused, the rest are only validated, so
        that every bad row is reported; then everything is rolled back."""
        created = updated = unchanged = 0
        errors: list[RowError] = []
        done = 0
        for chunk in importing.chunked(rows, 2000):
            data = self._data(chunk)
            if errors:
                plan = services.organisation_bulk_plan(rows=data)
                errors.extend(self._bulk_errors(chunk, plan.errors))
            else:
                try:
                    outcome = services.organisation_bulk_upsert(rows=data, actor=actor)
                except services.OrganisationBulkError as error:
                    errors.extend(self._bulk_errors(chunk, error.row_errors))
                else:
                    created += outcome.created
                    updated += outcome.updated
                    unchanged += outcome.unchanged
            done += len(chunk)
            if progress is not None:
                progress("import", done, len(rows))
        if errors:
            raise importing.RowsRejected(errors)
        return CommitSummary(created=created, updated=updated, unchanged=unchanged)


importing.register("organisations", OrganisationImporter())
register_nav("imports", gettext_lazy("Imports"), "imports:index", REGISTRY_EDITORS, 85)
