"""The 专家 (experts) workbook of DESIGN §7.

Columns: 姓名, 身份证号, 工作单位, 所属区县, 职称, 专业领域, 手机, 邮箱. A row registers the
person and their expert profile, or brings the ones with the same 身份证号 up to date
(``reviews.services.expert_upsert``, one call per row); an unchanged row is skipped.
The dry run rehearses the import in a transaction that is rolled back, so it reports
whatever the services would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import selectors
from accounts.identifiers import normalise, validate_id_number
from accounts.models import Organisation, Person
from accounts.permissions import scope_of
from accounts.roles import Role
from accounts.xlsx import district_parser, organisation_parser, person_name
from core import importing
from core.importing import Column, ParseResult, Row

from . import services
from .models import ExpertProfile

# Who may maintain the expert pool (reviews.add_expertprofile), and where.
EXPERT_EDITORS = frozenset({Role.CITY_OFFICER, Role.ADMIN})

TITLES: dict[str, str] = {
    "正高": ExpertProfile.Title.SENIOR,
    "正高级": ExpertProfile.Title.SENIOR,
    "副高": ExpertProfile.Title.ASSOCIATE,
    "副高级": ExpertProfile.Title.ASSOCIATE,
    "中级": ExpertProfile.Title.INTERMEDIATE,
    **{value: value for value in ExpertProfile.Title.values},
}


def _max_length(model: Any, name: str) -> int:
    return int(model._meta.get_field(name).max_length)


class ExpertImporter(importing.Importer):
    label = gettext_lazy("Experts (专家)")
    description = gettext_lazy(
        "Registers experts, or updates the one with the same ID card number; unchanged "
        "rows are skipped. A blank 工作单位, 手机 or 邮箱 keeps what is stored."
    )
    permission = "reviews.add_expertprofile"
    sheet_name = "专家"
    key = "id_number"
    dry_run_rehearses_commit = True
    field_columns = {"person": "id_number", "load_cap": "id_number"}
    columns = (
        Column(
            "name",
            "姓名",
            person_name(_max_length(Person, "name")),
            required=True,
        ),
        Column(
            "id_number",
            "身份证号",
            importing.identifier(normalise, validate_id_number),
            required=True,
            as_text=True,
            help=gettext_lazy("18 characters; the check digit is verified."),
        ),
        Column(
            "organisation",
            "工作单位",
            help=gettext_lazy(
                "The name (or unified social credit code) of a registered organisation; "
                "may be left empty."
            ),
        ),
        Column(
            "region",
            "所属区县",
            required=True,
            help=gettext_lazy(
                "A district of your area: its name (余杭区, 餘杭區) or its 6-digit code."
            ),
        ),
        Column(
            "title",
            "职称",
            importing.choice(TITLES, shown=("正高", "副高", "中级")),
            required=True,
            help="正高、副高、中级",
        ),
        Column(
            "specialties",
            "专业领域",
            importing.text(_max_length(ExpertProfile, "specialties")),
            required=True,
            help=gettext_lazy("Separated by 、 or commas."),
        ),
        Column("mobile", "手机", importing.phone(_max_length(Person, "mobile")), as_text=True),
        Column("email", "邮箱", importing.email(_max_length(Person, "email"))),
    )
    example = (
        {
            "name": "张三",
            "id_number": "330106198001011235",
            "organisation": "杭州市农业科学研究院",
            "region": "西湖区",
            "title": "正高",
            "specialties": "农业、种植业",
            "mobile": "13900000000",
            "email": "zhangsan@example.cn",
        },
    )

    def parsers(self, *, actor: Any, options: Mapping[str, Any]) -> Mapping[str, importing.Parser]:
        organisations = (
            Organisation.objects.all()
            if actor is None
            else selectors.organisation_list(user=actor).order_by()
        )
        return {
            "region": district_parser(actor=actor, roles=EXPERT_EDITORS),
            "organisation": organisation_parser(queryset=organisations),
        }

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        pks = {row["organisation"] for row in result.rows if row["organisation"] is not None}
        employers = Organisation.objects.in_bulk(list(pks))
        for row in result.rows:
            if row["organisation"] is not None:
                row.values["organisation"] = employers[row["organisation"]]
        if actor is None:
            return
        # A person registered outside the user's area is not theirs to change.
        allowed = scope_of(actor).paths_for(EXPERT_EDITORS)
        numbers = [row["id_number"] for row in result.rows]
        outside: set[str] = set()
        for chunk in importing.chunked(numbers):
            for number, path in Person.objects.filter(id_number__in=chunk).values_list(
                "id_number", "region__path"
            ):
                if not any(path.startswith(p) for p in allowed):
                    outside.add(number)
        for row in result.rows:
            if row["id_number"] in outside:
                result.add_error(
                    row,
                    "id_number",
                    _(
                        "This person is registered outside your area; ask the officer in "
                        "charge of it."
                    ),
                )

    def commit_row(self, row: Row, *, actor: Any, options: Mapping[str, Any]) -> str:
        _expert, outcome = services.expert_upsert(
            name=row["name"],
            id_number=row["id_number"],
            region=row["region"],
            title=row["title"],
            specialties=row["specialties"],
            organisation=row["organisation"],
            mobile=row["mobile"],
            email=row["email"],
            actor=actor,
        )
        return outcome


importing.register("experts", ExpertImporter())
