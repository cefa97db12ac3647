"""Recovery of overdue repayable funds (issue 15): two 2026 loans that fell overdue in
April. One is chased — a call, a 催收通知书, a promise — and pays 6 万元 under the notice
(recovered by 催收); the other, chased in vain, is handed to the court, filed and
judged, and 8 万元 comes through the court. Built through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core import clock
from ledger import services
from ledger.models import BankAccount, BudgetLine, RepayableAccount

from .ledger_world import AGED_AS_OF, CITY_BANK, _World
from .log import Log

D = dt.date
OFFICE = "杭州市科学技术局"
CHASED_REF = "KJ2026-YC-021"
SUED_REF = "KJ2026-YC-022"


def _lend(
    w: _World,
    line: BudgetLine,
    bank: BankAccount,
    *,
    borrower: str,
    account: str,
    ref: str,
    principal: str,
) -> RepayableAccount:
    """Lent on 2026-01-20 for a year, repaid quarterly from 2026-04-20."""
    return w.repayable(
        line,
        bank,
        borrower=borrower,
        account=account,
        project_ref=ref,
        principal=principal,
        start=D(2026, 1, 20),
        term=12,
        grace=0,
    )


def build(log: Log) -> None:
    if RepayableAccount.objects.filter(project_ref=CHASED_REF).exists():
        return
    w = _World(log)
    bank = BankAccount.objects.get(account_number=CITY_BANK)
    line = BudgetLine.objects.get(
        year=2026, instrument="repayable", name="2026年科技型企业有偿使用资金"
    )
    chased = _lend(
        w,
        line,
        bank,
        borrower="杭州桐庐精密模具有限公司",
        account="3301220011112222",
        ref=CHASED_REF,
        principal="300000.00",
    )
    sued = _lend(
        w,
        line,
        bank,
        borrower="杭州淳安生态农业开发有限公司",
        account="3301270033334444",
        ref=SUED_REF,
        principal="400000.00",
    )
    finance = w.finance
    with clock.frozen(dt.datetime.combine(AGED_AS_OF, dt.time(10, 0))):
        # nothing paid on 2026-04-20: both are called, then sent a notice
        for account in (chased, sued):
            log.created(
                services.dunning_record(
                    account=account,
                    kind="phone",
                    date=D(2026, 5, 8),
                    text="电话催收：第一期本金及占用费已逾期，请尽快归还",
                    actor=finance,
                )
            )
            log.created(
                services.dunning_notice_issue(
                    account=account,
                    date=D(2026, 6, 1),
                    pay_by=D(2026, 6, 30),
                    office=OFFICE,
                    actor=finance,
                )
            )
        log.created(
            services.dunning_record(
                account=chased,
                kind="promise",
                date=D(2026, 6, 10),
                text="企业承诺7月15日前归还6万元，余款分期归还",
                promised_amount=Decimal("60000.00"),
                promised_date=D(2026, 7, 15),
                actor=finance,
            )
        )
        w.repay(chased, "60000.00", D(2026, 7, 10), bank)  # recovered by 催收
        log.created(
            services.dunning_record(
                account=sued,
                kind="reply",
                date=D(2026, 6, 20),
                text="企业回函称经营困难，暂无力归还",
                actor=finance,
            )
        )
        case = log.created(
            services.legal_case_refer(
                account=sued,
                court="杭州市淳安县人民法院",
                referred_on=D(2026, 8, 20),
                note="经多次催收未还，依借款合同约定起诉",
                actor=finance,
            )
        )
        case = services.legal_case_advance(
            case=case,
            stage="filed",
            date=D(2026, 9, 5),
            case_number="(2026)浙0127民初2468号",
            actor=finance,
        )
        case = services.legal_case_advance(
            case=case, stage="judged", date=D(2026, 10, 28), actor=finance
        )
        w.repay(sued, "80000.00", D(2026, 11, 12), bank)  # recovered through the court
        for account in (chased, sued):
            services.repayable_age(account=account, as_of=AGED_AS_OF)
