"""Offline scoring (纸质评分表): an officer imports paper score sheets of one panel.

Columns: 项目编号, 专家身份证号, one column per criterion code of the panel's rubric, 意见.
Every row goes through ``services.scores_save`` (offline, submitted) — the same checks
as the online form: a score within [0, maximum], every criterion, an opinion, the panel
still scoring, the expert assigned to that item. The dry run rehearses the import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.identifiers import normalise, validate_id_number
from core import importing
from core.importing import Column, ParseResult, Row

from . import services
from .models import Assignment, Panel

FIXED_HEAD = (
    Column("number", "项目编号", importing.text(40, no_spaces=True), required=True),
    Column(
        "id_number",
        "专家身份证号",
        importing.identifier(normalise, validate_id_number),
        required=True,
        as_text=True,
    ),
)
COMMENT = Column("comment", "意见", importing.text(2000), required=True)


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


class ScoresImporter(importing.Importer):
    label = gettext_lazy("Paper score sheets (评分表)")
    description = gettext_lazy(
        "Scores of one panel entered from paper sheets: one row per expert and item, one "
        "column per criterion code of the panel's rubric. Each row is checked like the "
        "online form and submitted."
    )
    permission = "reviews.add_panel"
    sheet_name = "评分表"
    dry_run_rehearses_commit = True

    def options_form(self, data: Mapping[str, Any] | None = None, *, actor: Any) -> forms.Form:
        return PanelChoiceForm(data, panels=_panels(actor), prefix="options")

    def columns_for(self, options: Mapping[str, Any]) -> Sequence[Column]:
        panel = options.get("panel")
        if panel is None:
            return (*FIXED_HEAD, COMMENT)
        criteria = [
            Column(
                c.code,
                c.code,
                importing.number(max_places=2, min_value=0, max_value=c.max_score),
                required=True,
                help=f"{c.name}（0–{c.max_score}）",
            )
            for c in panel.rubric.criteria.all()
        ]
        return (*FIXED_HEAD, *criteria, COMMENT)

    @property
    def example(self) -> Sequence[Mapping[str, Any]]:  # type: ignore[override]
        return (
            {
                "number": "KJJH-2026-0001",
                "id_number": "330106198001011235",
                "comment": "创新性突出。",
            },
        )

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        panel = options.get("panel")
        if panel is None:
            return
        assignments = {
            (a.item.application.number, a.expert.person.id_number): a
            for a in Assignment.objects.live()
            .filter(panel=panel)
            .select_related("item__application", "expert__person")
        }
        seen: set[tuple[str, str]] = set()
        for row in result.rows:
            pair = (row["number"], row["id_number"])
            if pair in seen:
                result.add_error(
                    row, "id_number", _("This expert's sheet for this item is given twice.")
                )
                continue
            seen.add(pair)
            assignment = assignments.get(pair)
            if assignment is None:
                result.add_error(
                    row,
                    "id_number",
                    _("This expert is not assigned to %(number)s on this panel (or was released).")
                    % {"number": row["number"]},
                )
            elif assignment.status == Assignment.Status.SUBMITTED:
                stored = {
                    s.criterion.code: s.value for s in assignment.scores.select_related("criterion")
                }
                given = {c.code: row[c.code] for c in panel.rubric.criteria.all()}
                if stored == given and assignment.comment == (row["comment"] or "").strip():
                    row.values["unchanged"] = True  # the same sheet imported again
                else:
                    result.add_error(
                        row,
                        "id_number",
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
        values = {c.code: str(row[c.code]) for c in panel.rubric.criteria.all()}
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
