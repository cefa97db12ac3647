"""Offline scoring (纸质评分表): an officer imports paper score sheets of one panel.

Columns: 项目编号, 专家编号 (the expert's number as on the panel page, e.g. ZJ0012),
专家姓名 (optional: when given it must be that expert's name), one column per criterion of
the panel's rubric headed by its name and range (创新性（0–40）; the criterion's code is
accepted as a header too), 意见. The template of a panel (downloaded from the panel page)
has one row filled in per expert and item still to score, whatever the expert's district.

Every row goes through ``services.scores_save`` (offline, submitted) — the same checks
as the online form: a score within [0, maximum], every criterion, an opinion, the panel
still scoring, the expert assigned to that item. The dry run rehearses the import.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import importing
from core.importing import Column, ParseResult, Row

from . import services
from .models import Assignment, ExpertProfile, Panel

NUMBER = Column(
    "number",
    "项目编号",
    importing.text(40, no_spaces=True),
    required=True,
    help=gettext_lazy("The application number, e.g. KJJH-2026-0001."),
)
EXPERT = Column(
    "expert",
    "专家编号",
    importing.text(20, no_spaces=True),
    required=True,
    as_text=True,
    help=gettext_lazy(
        "The expert's number as shown beside the name on the panel page, e.g. ZJ0012."
    ),
)
EXPERT_NAME = Column(
    "expert_name",
    "专家姓名",
    importing.text(50, no_spaces=True),
    help=gettext_lazy(
        "May be left empty; when filled it must be the name of the expert of that number "
        "(a check against typing the wrong number)."
    ),
)
COMMENT = Column(
    "comment",
    "意见",
    importing.text(2000),
    required=True,
    help=gettext_lazy("The expert's written opinion, as on the paper sheet."),
)
# Shown on the import page before a panel is chosen: the criteria depend on the panel.
CRITERIA_PLACEHOLDER = Column(
    "…",
    "评分项（每项一列）",
    required=True,
    help=gettext_lazy(
        "One column per criterion of the panel's rubric, headed by the criterion's name and "
        "range, e.g. 创新性（0–40）: a score from 0 to the maximum, at most two decimals. "
        "Download the template of the panel from the panel page: it has these columns and "
        "one row per expert and item still to score."
    ),
)

_EXPERT_CODE = re.compile(r"(?:ZJ)?-?0*(\d{1,9})")


def parse_expert_code(text: str) -> int | None:
    """ZJ0012, zj12, ZJ-0012 or 12 → the expert's id; anything else → None."""
    match = _EXPERT_CODE.fullmatch(importing.compact(text).upper())
    return int(match.group(1)) if match else None


class PanelChoiceForm(forms.Form):
    panel = forms.ModelChoiceField(label=gettext_lazy("panel"), queryset=Panel.objects.none())

    def __init__(self, *args: Any, panels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels  # type: ignore[attr-defined]


def _panels(actor: Any) -> Any:
    panels = Panel.objects.filter(status=Panel.Status.OPEN).select_related("rubric", "unit", "call")
    if actor is None:
        return panels
    allowed = [p.pk for p in panels.visible_to(actor) if actor.has_perm("reviews.manage_panel", p)]
    return panels.filter(pk__in=allowed)


def criterion_columns(panel: Panel) -> list[Column]:
    """One required column per criterion: header "name（0–max）", the code accepted too."""
    taken = {importing.name_key(c.header) for c in (NUMBER, EXPERT, EXPERT_NAME, COMMENT)}
    fixed_codes = {NUMBER.code, EXPERT.code, EXPERT_NAME.code, COMMENT.code}
    columns = []
    for c in panel.rubric.criteria.all():
        maximum = services.plain_number(c.max_score)
        name = c.name if importing.name_key(c.name) not in taken else f"{c.name}-{c.code}"
        taken.add(importing.name_key(name))
        help_text = _(
            "%(name)s: a score from 0 to %(max)s, at most two decimals; weight %(w)s."
        ) % {
            "name": c.name,
            "max": maximum,
            "w": services.plain_number(c.weight),
        }
        if c.min_score is not None:
            help_text += " " + _("Below %(min)s the item does not pass.") % {
                "min": services.plain_number(c.min_score)
            }
        columns.append(
            Column(
                c.code if c.code not in fixed_codes else f"c_{c.code}",
                f"{name}（0–{maximum}）",
                importing.number(max_places=2, min_value=0, max_value=Decimal(maximum)),
                required=True,
                help=help_text,
                aliases=(c.code,),
            )
        )
    return columns


def pending_assignments(panel: Panel) -> list[Assignment]:
    """The sheets still to enter: live assignments not submitted, by item and expert."""
    return list(
        Assignment.objects.filter(
            panel=panel, status__in=[Assignment.Status.INVITED, Assignment.Status.ACCEPTED]
        )
        .select_related("item__application", "expert__person__region")
        .order_by("item__application__number", "expert_id")
    )


class ScoresImporter(importing.Importer):
    label = gettext_lazy("Paper score sheets (评分表)")
    description = gettext_lazy(
        "Scores of one panel entered from paper sheets: one row per expert and item, the "
        "expert named by their number on the panel page, one column per criterion of the "
        "panel's rubric. Download the panel's own template from the panel page. Each row is "
        "checked like the online form and submitted."
    )
    permission = "reviews.add_panel"
    sheet_name = "评分表"
    dry_run_rehearses_commit = True
    # what the import page lists before a panel is chosen
    columns = (NUMBER, EXPERT, EXPERT_NAME, CRITERIA_PLACEHOLDER, COMMENT)

    def options_form(self, data: Mapping[str, Any] | None = None, *, actor: Any) -> forms.Form:
        return PanelChoiceForm(data, panels=_panels(actor), prefix="options")

    def columns_for(self, options: Mapping[str, Any]) -> Sequence[Column]:
        panel = options.get("panel")
        if panel is None:
            return (NUMBER, EXPERT, EXPERT_NAME, COMMENT)
        return (NUMBER, EXPERT, EXPERT_NAME, *criterion_columns(panel), COMMENT)

    def template(self, options: Mapping[str, Any] | None = None) -> bytes:
        """With a panel (the panel page's download): its criterion columns, one row
        filled in per expert and item still to score, and the panel's experts (number,
        name, organisation, district) on a sheet of their own. Without one (the import
        page's download): the fixed columns, and notes saying where the criteria come
        from."""
        import xlsxwriter

        from core.xlsx import add_formats

        panel = (options or {}).get("panel")
        columns = self.columns_for({"panel": panel} if panel is not None else {})
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        formats = add_formats(book)
        text_format = book.add_format({"num_format": "@"})
        sheet = book.add_worksheet(self.sheet_name)
        for col, column in enumerate(columns):
            width = 40 if column.code == COMMENT.code else max(len(column.header) * 2 + 4, 14)
            sheet.set_column(col, col, width, text_format if column.as_text else None)
            sheet.write_string(0, col, column.header, formats["header"])
        pending = pending_assignments(panel) if panel is not None else []
        for row_no, a in enumerate(pending, start=1):
            sheet.write_string(row_no, 0, a.item.application.number, text_format)
            sheet.write_string(row_no, 1, a.expert.code, text_format)
            sheet.write_string(row_no, 2, a.expert.person.name)
        sheet.freeze_panes(1, 3)

        described = columns if panel is not None else self.columns
        notes = book.add_worksheet(_("Notes")[:31])
        for col, title in enumerate((_("Column"), _("Code name"), _("Required"), _("How to fill"))):
            notes.write_string(0, col, title, formats["header"])
        for row_no, column in enumerate(described, start=1):
            notes.write_string(row_no, 0, column.header)
            notes.write_string(row_no, 1, column.code)
            notes.write_string(row_no, 2, _("yes") if column.required else _("no"))
            notes.write_string(row_no, 3, str(column.help))
        notes.set_column(0, 1, 22)
        notes.set_column(3, 3, 90)
        if panel is not None:
            notes.write_string(
                len(described) + 2,
                0,
                _("Panel %(panel)s, rubric %(rubric)s, scoring deadline %(deadline)s.")
                % {
                    "panel": panel.name,
                    "rubric": str(panel.rubric),
                    "deadline": panel.deadline.isoformat(),
                },
            )
            self._experts_sheet(book, formats, text_format, panel, pending)
        book.close()
        return buffer.getvalue()

    @staticmethod
    def _experts_sheet(
        book: Any, formats: Mapping[str, Any], text_format: Any, panel: Panel, pending: list[Any]
    ) -> None:
        """The panel's experts, whatever their district: number, name, employer, district
        and how many sheets of theirs are still to enter."""
        experts = book.add_worksheet(_("Experts")[:31])
        headers = ("专家编号", "专家姓名", "工作单位", "所属区县", "待录入评分表")
        for col, title in enumerate(headers):
            experts.write_string(0, col, title, formats["header"])
        counts: dict[int, int] = {}
        for a in pending:
            counts[a.expert_id] = counts.get(a.expert_id, 0) + 1
        on_panel = (
            ExpertProfile.objects.filter(
                pk__in=Assignment.objects.live().filter(panel=panel).values("expert_id")
            )
            .select_related("person__organisation", "person__region")
            .order_by("pk")
        )
        for row_no, expert in enumerate(on_panel, start=1):
            person = expert.person
            experts.write_string(row_no, 0, expert.code, text_format)
            experts.write_string(row_no, 1, person.name)
            experts.write_string(row_no, 2, person.organisation.name if person.organisation else "")
            experts.write_string(row_no, 3, person.region.name)
            experts.write_number(row_no, 4, counts.get(expert.pk, 0))
        experts.set_column(0, 1, 14)
        experts.set_column(2, 2, 36)
        experts.set_column(3, 4, 14)

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        panel = options.get("panel")
        if panel is None:
            return
        assignments = {
            (a.item.application.number, a.expert_id): a
            for a in Assignment.objects.live()
            .filter(panel=panel)
            .select_related("item__application", "expert__person")
        }
        experts = {a.expert_id: a.expert for a in assignments.values()}
        criteria = list(panel.rubric.criteria.all())
        codes = {
            c.code: col.code for c, col in zip(criteria, criterion_columns(panel), strict=True)
        }
        seen: set[tuple[str, int]] = set()
        for row in result.rows:
            expert_id = parse_expert_code(row["expert"])
            if expert_id is None:
                result.add_error(
                    row,
                    "expert",
                    _("“%(code)s” is not an expert number such as ZJ0012 (see the panel page).")
                    % {"code": row["expert"]},
                )
                continue
            expert = experts.get(expert_id)
            if expert is None:
                result.add_error(
                    row,
                    "expert",
                    _("Expert %(code)s is not on this panel (or was released).")
                    % {"code": ExpertProfile.code_of(expert_id)},
                )
                continue
            written = row["expert_name"]
            if written and importing.name_key(written) != importing.name_key(expert.person.name):
                result.add_error(
                    row,
                    "expert_name",
                    _("Expert %(code)s is %(name)s, not %(written)s; check the number.")
                    % {"code": expert.code, "name": expert.person.name, "written": written},
                )
                continue
            pair = (row["number"], expert_id)
            if pair in seen:
                result.add_error(
                    row, "expert", _("This expert's sheet for this item is given twice.")
                )
                continue
            seen.add(pair)
            assignment = assignments.get(pair)
            if assignment is None:
                result.add_error(
                    row,
                    "expert",
                    _("Expert %(code)s is not assigned to %(number)s on this panel.")
                    % {"code": expert.code, "number": row["number"]},
                )
            elif assignment.status == Assignment.Status.SUBMITTED:
                stored = {
                    s.criterion.code: s.value for s in assignment.scores.select_related("criterion")
                }
                given = {c.code: row[codes[c.code]] for c in criteria}
                if stored == given and assignment.comment == (row["comment"] or "").strip():
                    row.values["unchanged"] = True  # the same sheet imported again
                else:
                    result.add_error(
                        row,
                        "expert",
                        _(
                            "This expert's scores for it are already submitted with other values; an officer "
                            "must reopen them first."
                        ),
                    )
            else:
                row.values["assignment"] = assignment

    def commit_row(self, row: Row, *, actor: Any, options: Mapping[str, Any]) -> str:
        if row["unchanged"]:
            return "unchanged"
        panel = options["panel"]
        criteria = list(panel.rubric.criteria.all())
        columns = criterion_columns(panel)
        values = {c.code: str(row[col.code]) for c, col in zip(criteria, columns, strict=True)}
        try:
            services.scores_save(
                assignment=row["assignment"],
                actor=actor,
                values=values,
                comment=row["comment"],
                submit=True,
                offline=True,
            )
        except services.ReviewError as error:
            raise importing.CellError("；".join(str(r) for r in error.reasons)) from error
        return "created"


importing.register("scores", ScoresImporter())
