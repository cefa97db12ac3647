"""What happens next on a record, and who does it (issue 13, 6).

Each record page shows a short list of ``Step`` s: the next thing that has to happen,
the role that does it, and whether the person looking is that role here (``mine``).
Everything is read from the records themselves; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from accounts.roles import Role
from core import clock

from .models import Acceptance, Application, Contract, Notice, Objection, Tranche, TransitionLog

S = Application.Status


@dataclass(frozen=True)
class Step:
    text: str
    who: str
    mine: bool = False


def _step(text: str, role: str, user: Any, perm: str = "", obj: Any = None) -> Step:
    return Step(text=text, who=str(Role(role).label), mine=bool(perm) and user.has_perm(perm, obj))


def _day(day: dt.date) -> str:
    return day.isoformat()


def last_return(application: Application) -> TransitionLog | None:
    """The last 退回修改 (by an officer, or after an upheld objection), for the banner."""
    return (
        application.transitions.filter(transition="return_for_revision")
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )


def _latest_notice(application: Application, level: str) -> Notice | None:
    notices = [n for n in application.notices.all() if n.level == level]
    return max(notices, key=lambda n: n.ends_on) if notices else None


def _open_objections(notice: Notice, application: Application) -> int:
    return sum(
        1
        for o in notice.objections.all()
        if o.status == Objection.Status.OPEN and o.application_id in (None, application.pk)
    )


def _after_notice(
    application: Application, level: str, user: Any, then: Step, role: str
) -> list[Step]:
    """While a notice runs: wait for its end (objections are handled by the officer);
    afterwards ``then``."""
    notice = _latest_notice(application, level)
    if notice is None:
        return [then]
    today = clock.today()
    steps = []
    objections = _open_objections(notice, application)
    if objections:
        steps.append(
            _step(
                _("%(n)d objection(s) to the notice are open: handle them on the notice page.")
                % {"n": objections},
                role,
                user,
                "projects.handle_objection",
                notice,
            )
        )
    if not notice.has_ended_by(today):
        steps.append(
            Step(
                text=_(
                    "The public notice runs until %(date)s; anyone may object until then. The "
                    "next step is possible from the day after."
                )
                % {"date": _day(notice.ends_on)},
                who=str(Role(role).label),
            )
        )
        return steps
    return [*steps, then]


def application_steps(application: Application, user: Any) -> list[Step]:
    """The next steps of an application or project, in the order they happen."""
    status = application.status
    award = application.is_award
    call = application.call
    a = application
    if status in (S.DRAFT, S.RETURNED):
        text = (
            _("Revise the application as asked and submit it again by %(date)s.")
            if status == S.RETURNED
            else _("Complete the application and submit it by %(date)s.")
        ) % {"date": _day(call.closes_on)}
        return [_step(text, Role.APPLICANT, user, "projects.change_application", a)]
    if status == S.SUBMITTED:
        if a.formal_check_at is None:
            return [
                _step(
                    _(
                        "The formal check (形式审查): the district officer checks the material is "
                        "complete, then passes it or returns it with a reason."
                    ),
                    Role.DISTRICT_OFFICER,
                    user,
                    "projects.formal_check_application",
                    a,
                )
            ]
        if award:
            return [
                _step(
                    _(
                        "The district public notice (区县公示, %(days)d days): select it in the "
                        "application list and publish the notice."
                    )
                    % {"days": call.publicity_days},
                    Role.DISTRICT_OFFICER,
                    user,
                    "projects.publicise_application",
                    a,
                )
            ]
        return [
            _step(
                _(
                    "Recommendation: put it on a recommendation list (select it in the application "
                    "list) and submit the list to the city by %(date)s, within the quota."
                )
                % {"date": _day(call.district_deadline)},
                Role.DISTRICT_OFFICER,
                user,
                "projects.recommend_application",
                a,
            )
        ]
    if status == S.DISTRICT_PUBLICITY:
        entry = getattr(a, "recommendation_entry", None)
        rec = entry.recommendation_list if entry is not None else None
        if rec is None:
            then = _step(
                _(
                    "Put it on a recommendation list; the district finance bureau co-signs the "
                    "list; submit it to the city by %(date)s."
                )
                % {"date": _day(call.district_deadline)},
                Role.DISTRICT_OFFICER,
                user,
                "projects.recommend_application",
                a,
            )
        elif rec.status == rec.Status.DRAFT:
            then = _step(
                _("Recommendation list #%(n)d is waiting for the co-signature.") % {"n": rec.pk},
                Role.DISTRICT_FINANCE,
                user,
                "projects.cosign_recommendationlist",
                rec,
            )
        else:
            then = _step(
                _("Recommendation list #%(n)d is co-signed: submit it to the city by %(date)s.")
                % {"n": rec.pk, "date": _day(call.district_deadline)},
                Role.DISTRICT_OFFICER,
                user,
                "projects.manage_recommendationlist",
                rec,
            )
        return _after_notice(a, Notice.Level.DISTRICT, user, then, Role.DISTRICT_OFFICER)
    if status == S.RECOMMENDED:
        return [
            _step(
                _(
                    "The city review: the city officer puts it on a city panel (a panel not yet "
                    "closed can take it in) and draws the experts."
                ),
                Role.CITY_OFFICER,
                user,
                "projects.review_application",
                a,
            )
        ]
    if status == S.UNDER_REVIEW:
        return [
            Step(
                text=_("The experts of the panel declare conflicts and score it."),
                who=str(Role.EXPERT.label),
            ),
            _step(
                _("When every sheet is in, the city officer closes the panel."),
                Role.CITY_OFFICER,
                user,
                "projects.review_application",
                a,
            ),
        ]
    if status == S.REVIEWED:
        return [
            _step(
                _(
                    "The decision: the city officer puts the top of the ranked list on public "
                    "notice (%(notice)s) on the panel page."
                )
                % {"notice": a.get_status_display_for(S.PUBLICITY)},
                Role.CITY_OFFICER,
                user,
                "projects.decide_application",
                a,
            )
        ]
    if status == S.PUBLICITY:
        then = _step(
            (
                _("Grant the award on the panel page.")
                if award
                else _("Approve it on the panel page.")
            ),
            Role.CITY_OFFICER,
            user,
            "projects.decide_application",
            a,
        )
        return _after_notice(a, Notice.Level.CITY, user, then, Role.CITY_OFFICER)
    if status == S.APPROVED:
        return _award_money_steps(a, user) if award else _contract_steps(a, user)
    if status == S.CONTRACTED:
        return _tranche_steps(a, user)
    if status == S.IN_PROGRESS:
        return _in_progress_steps(a, user)
    if status in (S.ACCEPTANCE_REQUESTED, S.ACCEPTANCE_REVIEW):
        return _acceptance_steps(a, user)
    if status == S.RECTIFYING:
        acceptance = a.acceptances.order_by("-round").first()
        due = acceptance.rectify_due if acceptance is not None else None
        return [
            _step(
                _("Rectify and request acceptance again by %(date)s (one chance).")
                % {"date": _day(due) if due else "—"},
                Role.APPLICANT,
                user,
                "projects.request_acceptance",
                a,
            )
        ]
    if status in (S.ACCEPTED, S.FAILED, S.TERMINATED):
        steps = []
        if status == S.ACCEPTED:
            steps += _tranche_steps(a, user)
        steps.append(
            _step(
                _(
                    "Closing: once nothing is left to pay or to recover, the city officer closes "
                    "the project."
                ),
                Role.CITY_OFFICER,
                user,
                "projects.close_application",
                a,
            )
        )
        return steps
    return []  # closed, rejected, withdrawn, disqualified: nothing follows


def _contract_steps(a: Application, user: Any) -> list[Step]:
    contract = Contract.objects.filter(application=a).first()
    if contract is None:
        return [
            _step(
                _(
                    "The contract (任务书): the city officer drafts it (indicators, budget, tranches)."
                ),
                Role.CITY_OFFICER,
                user,
                "projects.contract_application",
                a,
            )
        ]
    return contract_steps(contract, user)


def contract_steps(contract: Contract, user: Any) -> list[Step]:
    a = contract.application
    if contract.status == Contract.Status.DRAFT:
        return [
            _step(
                _("The applicant reads the contract (任务书) %(n)s and confirms it.")
                % {"n": contract.number},
                Role.APPLICANT,
                user,
                "projects.request_acceptance",
                a,
            )
        ]
    if contract.status == Contract.Status.CONFIRMED:
        return [
            _step(
                _(
                    "The city officer signs the contract (任务书); the funding is then committed on "
                    "the budget line."
                ),
                Role.CITY_OFFICER,
                user,
                "projects.contract_application",
                a,
            )
        ]
    if a.status == S.APPROVED:  # signed, not yet recorded on the application
        return _tranche_steps(a, user, contract=contract)
    return application_steps(a, user)


def _order_step(disbursement: Any, user: Any) -> Step:
    """Where a payment order stands, and who moves it on."""
    status = disbursement.status
    number = disbursement.number
    if status == "draft":
        return Step(
            text=_(
                "Payment order %(n)s is a draft: its maker submits it for approval on the "
                "disbursement page."
            )
            % {"n": number},
            who=str(Role.FINANCE.label),
            mine=disbursement.maker_id == user.pk,
        )
    if status == "submitted":
        return Step(
            text=_(
                "Payment order %(n)s waits for approval by a second finance person (not its maker)."
            )
            % {"n": number},
            who=str(Role.FINANCE_CHECKER.label),
            mine=disbursement.maker_id != user.pk
            and user.has_perm("ledger.approve_disbursement", disbursement),
        )
    return Step(
        text=_(
            "Payment order %(n)s is approved: finance records the payment when the bank confirms it."
        )
        % {"n": number},
        who=str(Role.FINANCE.label),
        mine=user.has_perm("ledger.pay_disbursement", disbursement),
    )


def _tranche_steps(a: Application, user: Any, *, contract: Contract | None = None) -> list[Step]:
    from .contracts import tranche_due

    contract = contract or Contract.objects.filter(application=a).first()
    if contract is None:
        return []
    steps = []
    for tranche in contract.tranches.select_related("disbursement", "contract__application"):
        if tranche.status == Tranche.Status.PLANNED and tranche_due(tranche):
            steps.append(
                _step(
                    _("Tranche %(n)d (%(amount)s yuan) is due: finance makes its payment order.")
                    % {"n": tranche.seq, "amount": _yuan(tranche.amount_fen)},
                    Role.FINANCE,
                    user,
                    "ledger.add_disbursement",
                    None,
                )
            )
        elif (
            tranche.status == Tranche.Status.ORDERED
            and tranche.disbursement is not None
            and tranche.disbursement.status in ("draft", "submitted", "approved")
        ):
            steps.append(_order_step(tranche.disbursement, user))
    if not steps and a.status == S.CONTRACTED:
        steps.append(
            Step(
                text=_("The first payment starts the project (实施中)."),
                who=str(Role.FINANCE.label),
            )
        )
    return steps


def _yuan(fen: int) -> str:
    from core.money import format_fen

    return format_fen(fen)


def _award_money_steps(a: Application, user: Any) -> list[Step]:
    from ledger.models import BudgetLine, Disbursement

    order = (
        Disbursement.objects.filter(project_ref=a.number)
        .exclude(status__in=["cancelled", "rejected"])
        .order_by("-pk")
        .first()
    )
    if order is not None and order.status in ("draft", "submitted", "approved"):
        return [_order_step(order, user)]
    issued = BudgetLine.objects.filter(
        programme_code=a.call.programme.code, year=a.call.year, scope_path=a.district.path
    ).exists()
    if not issued:
        return [
            _step(
                _(
                    "The city's finance issues the budget indicator (预算指标) of the awards to "
                    "%(d)s."
                )
                % {"d": a.district.name},
                Role.FINANCE,
                user,
                "projects.issue_award_indicator",
                a.call,
            ),
            Step(
                text=_("Then the district finance bureau commits the award and pays it."),
                who=str(Role.DISTRICT_FINANCE.label),
            ),
        ]
    return [
        _step(
            _(
                "The district finance bureau commits the award and makes its payment order "
                "(below, with the awardee's bank account)."
            ),
            Role.DISTRICT_FINANCE,
            user,
            "projects.pay_award",
            a,
        )
    ]


def _in_progress_steps(a: Application, user: Any) -> list[Step]:
    steps = []
    report = a.reports.filter(submitted_at__isnull=True).order_by("due_on").first()
    if report is not None:
        if a.is_award or report.kind == report.Kind.FINAL:
            text = _("File “%(title)s” by %(date)s and request acceptance with it.")
        else:
            text = _("File “%(title)s” by %(date)s.")
        steps.append(
            _step(
                text % {"title": report.title, "date": _day(report.due_on)},
                Role.APPLICANT,
                user,
                "projects.request_acceptance",
                a,
            )
        )
    contract = Contract.objects.filter(application=a).first()
    if contract is not None and not a.is_award:
        steps.append(
            _step(
                _("Request acceptance when the work is done, by the contract's end (%(date)s).")
                % {"date": _day(contract.end_date)},
                Role.APPLICANT,
                user,
                "projects.request_acceptance",
                a,
            )
        )
        steps += _tranche_steps(a, user, contract=contract)
    return steps


def _acceptance_steps(a: Application, user: Any) -> list[Step]:
    acceptance = a.acceptances.order_by("-round").first()
    steps = []
    if a.status == S.ACCEPTANCE_REQUESTED:
        steps.append(
            _step(
                _(
                    "The city officer sets up the acceptance panel (验收) and draws its experts; "
                    "opening its scoring starts the acceptance review."
                ),
                Role.CITY_OFFICER,
                user,
                "projects.conclude_acceptance",
                a,
            )
        )
    else:
        steps.append(
            Step(
                text=_("The acceptance panel's experts score the final report."),
                who=str(Role.EXPERT.label),
            )
        )
    if acceptance is not None and not acceptance.finance_result:
        steps.append(
            _step(
                _("Finance records the financial acceptance (fund usage) on the acceptance page."),
                Role.FINANCE,
                user,
                "projects.finance_acceptance",
                acceptance,
            )
        )
    if a.status == S.ACCEPTANCE_REVIEW:
        steps.append(
            _step(
                _(
                    "Once the panel is closed and the financial acceptance recorded, the city "
                    "officer concludes the acceptance."
                ),
                Role.CITY_OFFICER,
                user,
                "projects.conclude_acceptance",
                a,
            )
        )
    return steps


def acceptance_of(application: Application) -> Acceptance | None:
    return application.acceptances.order_by("-round").first()
