"""The budget items (预算科目) of the two flows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BudgetItem(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment (设备费)")
    MATERIALS = "materials", _("Materials (材料费)")
    TESTING = "testing", _("Testing and processing (测试化验加工费)")
    TRAVEL = "travel", _("Travel (差旅费)")
    CONFERENCE = "conference", _("Meetings (会议费)")
    LABOUR = "labour", _("Labour (劳务费)")
    CONSULTING = "consulting", _("Expert consulting (专家咨询费)")
    POPSCI_MATERIALS = (
        "popsci_materials",
        _("Popular-science materials and equipment (科普资料与设备)"),
    )
    TRAINING = "training", _("Trainings and lectures (培训讲座)")
    EXHIBITION = "exhibition", _("Exhibitions and extension (展览与推广)")
    OTHER = "other", _("Other (其他)")


PROJECT_BUDGET_ITEMS = (
    BudgetItem.EQUIPMENT,
    BudgetItem.MATERIALS,
    BudgetItem.TESTING,
    BudgetItem.TRAVEL,
    BudgetItem.CONFERENCE,
    BudgetItem.LABOUR,
    BudgetItem.CONSULTING,
    BudgetItem.OTHER,
)
AWARD_BUDGET_ITEMS = (
    BudgetItem.POPSCI_MATERIALS,
    BudgetItem.TRAINING,
    BudgetItem.EXHIBITION,
    BudgetItem.OTHER,
)
