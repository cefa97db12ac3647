"""The demo's money: budget lines of 2026 (KPHN awards, KJJH grants and repayable
funding), a budget indicator issued to 西湖区, disbursements in every state, repayable
accounts in every aging bucket (aged as of 2026-11-20), a write-off with a recovery, and
a November bank statement with matched, ambiguous and unmatched lines.

Everything goes through ``ledger.services`` with fixed dates. The whole world is built in
the demo's one transaction, so it exists completely or not at all: a second run finds
the city's bank account and creates nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, OrgUnit, User
from core import clock
from ledger import services
from ledger.models import BankAccount, BudgetLine, Disbursement, RepayableAccount, WriteOffBasis

from .log import Log

D = dt.date
CITY_BANK = "1202021009000012345"
XIHU_BANK = "1202021109000067890"
AGED_AS_OF = D(2026, 11, 20)
FEE_RATE = Decimal("0.02")
OVERDUE_RATE = Decimal("0.0005")


def _yuan(text: str) -> Decimal:
    return Decimal(text)


def _org(name: str) -> Organisation | None:
    return Organisation.objects.filter(name=name).first()


def _ref(name: str) -> str:
    org = _org(name)
    return org.credit_code if org else ""


class _World:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.finance = User.objects.get(username="finance")
        self.checker = User.objects.get(username="finance_checker")
        self.district_finance = User.objects.get(username="district_finance")
        self.city = OrgUnit.objects.get(code="330100")
        self.xihu = OrgUnit.objects.get(code="330106")
        self.bank_refs = 0

    def ref(self, day: dt.date) -> str:
        self.bank_refs += 1
        return f"ICBC{day:%Y%m%d}{self.bank_refs:04d}"

    def created(self, obj: Any) -> Any:
        return self.log.created(obj)

    def line(self, **kwargs: Any) -> BudgetLine:
        return self.created(
            services.budget_line_create(
                scope_path=kwargs.pop("scope_path", self.city.path), actor=self.finance, **kwargs
            )
        )

    def disbursement(
        self,
        line: BudgetLine,
        amount: str,
        payee: str,
        account: str,
        *,
        upto: str,
        maker: User | None = None,
        paid_on: dt.date | None = None,
        bank: BankAccount | None = None,
        **kwargs: Any,
    ) -> Disbursement:
        """A disbursement taken through the lifecycle up to state ``upto``; one that is
        paid is made and approved on its payment day (no payment precedes its approval)."""
        # unpaid ones are approved early in November, before the November statement's
        # lines (a bank line cannot be the payment of a disbursement approved after it)
        day = paid_on or D(2026, 11, 2)
        with clock.frozen(dt.datetime.combine(day, dt.time(9, 0))):
            return self._disbursement(
                line,
                amount,
                payee,
                account,
                upto=upto,
                maker=maker,
                paid_on=paid_on,
                bank=bank,
                **kwargs,
            )

    def _disbursement(
        self,
        line: BudgetLine,
        amount: str,
        payee: str,
        account: str,
        *,
        upto: str,
        maker: User | None,
        paid_on: dt.date | None,
        bank: BankAccount | None,
        **kwargs: Any,
    ) -> Disbursement:
        maker = maker or self.finance
        d = self.created(
            services.disbursement_create(
                budget_line=line,
                amount=_yuan(amount),
                payee_name=payee,
                payee_account=account,
                payee_ref=kwargs.pop("payee_ref", _ref(payee)),
                actor=maker,
                **kwargs,
            )
        )
        if upto == "draft":
            return d
        d = services.disbursement_submit(disbursement=d, actor=maker)
        if upto == "submitted":
            return d
        if upto == "rejected":
            return services.disbursement_reject(
                disbursement=d, actor=self.checker, note="附件不全，请补充任务书"
            )
        d = services.disbursement_approve(disbursement=d, actor=self.checker)
        if upto == "approved":
            return d
        if upto == "cancelled":
            return services.disbursement_cancel(disbursement=d, actor=maker, note="项目暂停拨付")
        assert paid_on is not None and bank is not None
        d = services.disbursement_pay(
            disbursement=d,
            bank_account=bank,
            paid_on=paid_on,
            bank_reference=self.ref(paid_on),
            actor=maker,
        )
        if upto == "returned":
            back = paid_on + dt.timedelta(days=3)
            with clock.frozen(dt.datetime.combine(back, dt.time(9, 0))):
                return services.disbursement_return(
                    disbursement=d, value_date=back, actor=maker, reason="收款账户已销户，银行退回"
                )
        return d

    def repayable(
        self,
        line: BudgetLine,
        bank: BankAccount,
        *,
        borrower: str,
        account: str,
        project_ref: str,
        principal: str,
        start: dt.date,
        term: int,
        grace: int,
        method: str = RepayableAccount.Method.EQUAL_PRINCIPAL,
    ) -> RepayableAccount:
        repayable = self.created(
            services.repayable_open(
                budget_line=line,
                project_ref=project_ref,
                borrower_name=borrower,
                borrower_ref=_ref(borrower),
                borrower_account=account,
                principal=_yuan(principal),
                start_date=start,
                term_months=term,
                grace_months=grace,
                period_months=3,
                method=method,
                fee_rate=FEE_RATE,
                overdue_rate=OVERDUE_RATE,
                actor=self.finance,
            )
        )
        self.disbursement(
            line,
            principal,
            borrower,
            account,
            upto="paid",
            paid_on=start,
            bank=bank,
            repayable=repayable,
            project_ref=project_ref,
            purpose="有偿使用资金拨付",
        )
        return repayable

    def repay(self, account: RepayableAccount, amount: str, day: dt.date, bank: BankAccount) -> Any:
        return self.created(
            services.repayment_record(
                account=account,
                amount=_yuan(amount),
                value_date=day,
                bank_account=bank,
                bank_reference=f"HK{day:%Y%m%d}{account.pk:04d}",
                actor=self.finance,
            )
        )


def build(log: Log) -> None:
    if BankAccount.objects.filter(account_number=CITY_BANK).exists():
        return
    w = _World(log)

    # Banks, and the year's fiscal funds arriving in the city's account.
    city_bank = w.created(
        services.bank_account_open(
            name="杭州市财政局零余额账户",
            bank_name="中国工商银行杭州分行营业部",
            account_number=CITY_BANK,
            scope_path=w.city.path,
        )
    )
    xihu_bank = w.created(
        services.bank_account_open(
            name="西湖区财政局国库账户",
            bank_name="中国农业银行杭州西湖支行",
            account_number=XIHU_BANK,
            scope_path=w.xihu.path,
        )
    )
    services.bank_funding_record(
        bank_account=city_bank,
        amount=_yuan("30000000.00"),
        value_date=D(2024, 1, 5),
        actor=w.finance,
        idempotency_key="demo:funding:city:2024",
        memo="2024年市级科技专项资金到账",
    )
    services.bank_funding_record(
        bank_account=city_bank,
        amount=_yuan("20000000.00"),
        value_date=D(2026, 1, 5),
        actor=w.finance,
        idempotency_key="demo:funding:city:2026",
        memo="2026年市级科技专项资金到账",
    )
    services.bank_funding_record(
        bank_account=xihu_bank,
        amount=_yuan("1000000.00"),
        value_date=D(2026, 1, 8),
        actor=w.district_finance,
        idempotency_key="demo:funding:xihu:2026",
        memo="2026年区级财政资金到账",
    )

    # Budget lines of 2026 (and an older repayable line whose accounts are long due).
    kphn = w.line(
        year=2026,
        funding_source=BudgetLine.Source.CITY_SPECIAL,
        instrument="award",
        programme_code="KPHN",
        name="2026年科普惠农兴村计划奖补资金",
        amount=_yuan("3000000.00"),
        value_date=D(2026, 1, 10),
        document_no="杭财教〔2026〕8号",
    )
    kjjh = w.line(
        year=2026,
        funding_source=BudgetLine.Source.SCI_TECH,
        instrument="grant",
        programme_code="KJJH",
        name="2026年科技计划项目经费",
        amount=_yuan("8000000.00"),
        value_date=D(2026, 1, 10),
        document_no="杭财教〔2026〕9号",
    )
    kjjh_repayable = w.line(
        year=2026,
        funding_source=BudgetLine.Source.SCI_TECH,
        instrument="repayable",
        programme_code="KJJH",
        name="2026年科技型企业有偿使用资金",
        amount=_yuan("5000000.00"),
        value_date=D(2026, 1, 10),
    )
    old_repayable = w.line(
        year=2024,
        funding_source=BudgetLine.Source.SCI_TECH,
        instrument="repayable",
        programme_code="KJJH",
        name="2024年科技型企业有偿使用资金",
        amount=_yuan("3000000.00"),
        value_date=D(2024, 1, 10),
    )

    # An adjustment approved, another waiting for the checker.
    raised = services.budget_adjustment_request(
        budget_line=kjjh,
        amount=_yuan("500000.00"),
        reason="年中追加科技计划项目经费",
        document_no="杭财教〔2026〕41号",
        actor=w.finance,
    )
    w.created(services.budget_adjustment_approve(adjustment=raised, actor=w.checker))
    w.created(
        services.budget_adjustment_request(
            budget_line=kphn,
            amount=_yuan("-200000.00"),
            reason="调剂至科普基础设施项目",
            actor=w.finance,
        )
    )

    # Award flow: the city issues indicators to 西湖区 early in the year; the district
    # commits the awards and pays the awardees from its own account.
    indicator = w.created(
        services.budget_indicator_issue(
            from_line=kphn,
            district_scope_path=w.xihu.path,
            district_name=w.xihu.name,
            amount=_yuan("600000.00"),
            value_date=D(2026, 2, 10),
            document_no="杭财教〔2026〕15号",
            actor=w.finance,
            # the ledger's own example: not an award call of the demo (those are issued
            # from the award indicators page, per call and district)
            reference="ledger-example:KPHN2025-XH",
        )
    )
    xihu_line = indicator.to_line
    awards = [
        ("KPHN2025-XH-001", "杭州市西湖区农业技术推广中心", "3301060000112233", "100000.00"),
        ("KPHN2025-XH-002", "转塘街道科普惠农服务站", "3301060000445566", "50000.00"),
    ]
    for project_ref, payee, account, amount in awards:
        commitment = w.created(
            services.commitment_post(
                budget_line=xihu_line,
                project_ref=project_ref,
                amount=_yuan(amount),
                value_date=D(2026, 2, 20),
                actor=w.district_finance,
                payee_name=payee,
            )
        )
        w.disbursement(
            xihu_line,
            amount,
            payee,
            account,
            upto="paid",
            maker=w.district_finance,
            paid_on=D(2026, 3, 5),
            bank=xihu_bank,
            commitment=commitment,
            purpose="科普惠农兴村计划奖补资金",
        )

    # Sci-tech projects: commitments from signed 任务书, tranches in every state.
    projects = {
        "KJ2026-001": ("杭州西湖智慧农业科技有限公司", "3301040012345678", "600000.00"),
        "KJ2026-002": ("杭州市农业科学研究院", "3301020098765432", "400000.00"),
        "KJ2026-003": ("杭州余杭径山茶叶专业合作社", "3301100055554444", "300000.00"),
        "KJ2026-004": ("杭州市上城区科学技术协会", "3301020011112222", "800000.00"),
    }
    commitments = {
        ref: w.created(
            services.commitment_post(
                budget_line=kjjh,
                project_ref=ref,
                amount=_yuan(amount),
                value_date=D(2026, 4, 1),
                actor=w.finance,
                payee_name=payee,
                idempotency_key=f"contract:{ref}",
            )
        )
        for ref, (payee, _account, amount) in projects.items()
    }

    def tranche(ref: str, amount: str, n: int, upto: str, **kwargs: Any) -> Disbursement:
        payee, account, _total = projects[ref]
        return w.disbursement(
            kjjh,
            amount,
            payee,
            account,
            upto=upto,
            commitment=commitments[ref],
            tranche_no=n,
            purpose=f"第{n}笔拨款",
            **kwargs,
        )

    tranche("KJ2026-001", "300000.00", 1, "paid", paid_on=D(2026, 5, 10), bank=city_bank)
    tranche("KJ2026-001", "200000.00", 2, "submitted")
    tranche("KJ2026-002", "200000.00", 1, "paid", paid_on=D(2026, 5, 12), bank=city_bank)
    tranche("KJ2026-002", "100000.00", 2, "draft")
    tranche("KJ2026-003", "150000.00", 1, "rejected")
    tranche("KJ2026-003", "150000.00", 1, "cancelled")
    tranche("KJ2026-003", "120000.00", 1, "returned", paid_on=D(2026, 6, 2), bank=city_bank)
    # paid in November: the statement below reconciles it by its 流水号
    november_paid = tranche(
        "KJ2026-004", "250000.00", 1, "paid", paid_on=D(2026, 11, 5), bank=city_bank
    )
    # two tranches of the same amount to the same payee: the bank line is ambiguous
    tranche("KJ2026-004", "200000.00", 2, "approved")
    tranche("KJ2026-004", "200000.00", 3, "approved")

    # Repayable funding, one account per aging bucket as of 2026-11-20, and a write-off.
    current = w.repayable(
        kjjh_repayable,
        city_bank,
        borrower="杭州西湖智慧农业科技有限公司",
        account="3301040012345678",
        project_ref="KJ2026-YC-001",
        principal="500000.00",
        start=D(2026, 8, 10),
        term=24,
        grace=12,
    )
    w.repay(current, "2500.00", D(2026, 11, 10), city_bank)  # fee of the first quarter
    bucket_1_30 = w.repayable(
        kjjh_repayable,
        city_bank,
        borrower="杭州余杭径山茶叶专业合作社",
        account="3301100055554444",
        project_ref="KJ2026-YC-002",
        principal="300000.00",
        start=D(2026, 5, 1),
        term=24,
        grace=6,
    )
    w.repay(bucket_1_30, "1500.00", D(2026, 8, 1), city_bank)
    bucket_31_90 = w.repayable(
        kjjh_repayable,
        city_bank,
        borrower="杭州钱塘生物医药科技有限公司",
        account="3301140066667777",
        project_ref="KJ2026-YC-003",
        principal="400000.00",
        start=D(2026, 6, 15),
        term=12,
        grace=3,
    )
    bucket_91_180 = w.repayable(
        kjjh_repayable,
        city_bank,
        borrower="杭州临平智能装备有限公司",
        account="3301130088889999",
        project_ref="KJ2026-YC-004",
        principal="600000.00",
        start=D(2026, 2, 1),
        term=24,
        grace=6,
    )
    w.repay(bucket_91_180, "3000.00", D(2026, 5, 1), city_bank)
    bucket_181_365 = w.repayable(
        old_repayable,
        city_bank,
        borrower="杭州富阳新材料有限公司",
        account="3301830012121212",
        project_ref="KJ2025-YC-011",
        principal="200000.00",
        start=D(2025, 11, 1),
        term=12,
        grace=0,
        method=RepayableAccount.Method.BULLET,
    )
    w.repayable(
        old_repayable,
        city_bank,
        borrower="杭州建德农产品加工有限公司",
        account="3301820034343434",
        project_ref="KJ2024-YC-007",
        principal="150000.00",
        start=D(2024, 6, 1),
        term=24,
        grace=0,
    )
    written_off = w.repayable(
        old_repayable,
        city_bank,
        borrower="杭州桐庐竹木制品厂",
        account="3301220056565656",
        project_ref="KJ2024-YC-003",
        principal="100000.00",
        start=D(2024, 3, 1),
        term=12,
        grace=0,
    )
    services.receivables_age(as_of=D(2026, 6, 30))
    write_off = services.write_off_request(
        account=written_off,
        value_date=D(2026, 6, 30),
        reason="企业已注销，经追偿无可执行财产",
        basis=WriteOffBasis.DISSOLVED,
        document_no="杭财核〔2026〕3号",
        actor=w.finance,
    )
    w.created(services.write_off_approve(write_off=write_off, actor=w.checker))
    w.repay(written_off, "5000.00", D(2026, 9, 10), city_bank)  # recovered after write-off
    # waiting for the checker: a 展期 and a write-off
    w.created(
        services.reschedule_request(
            account=bucket_91_180,
            effective_date=D(2026, 12, 1),
            term_months=18,
            reason="受市场影响资金周转困难，申请展期一年半",
            actor=w.finance,
        )
    )
    w.created(
        services.write_off_request(
            account=bucket_181_365,
            value_date=D(2026, 11, 30),
            reason="企业进入破产程序",
            basis=WriteOffBasis.BANKRUPTCY,
            actor=w.finance,
        )
    )
    services.receivables_age(as_of=AGED_AS_OF)

    # The November statement of the city's account.
    period_start, period_end = D(2026, 11, 1), AGED_AS_OF
    opening = services.ledger_bank_balance(city_bank, period_start - dt.timedelta(days=1))
    second = Disbursement.objects.get(project_ref="KJ2026-004", tranche_no=2)
    rows = [
        services.StatementRow(
            row_no=2,
            txn_date=D(2026, 11, 5),
            amount_fen=november_paid.amount_fen,
            direction="out",
            counterparty_name=november_paid.payee_name,
            counterparty_account=november_paid.payee_account,
            memo="科技计划项目经费",
            bank_reference=november_paid.bank_reference,
        ),
        services.StatementRow(
            row_no=3,
            txn_date=D(2026, 11, 10),
            amount_fen=250_000,
            direction="in",
            counterparty_name=current.borrower_name,
            counterparty_account=current.borrower_account,
            memo="资金占用费",
            bank_reference=f"HK20261110{current.pk:04d}",
        ),
        services.StatementRow(
            row_no=4,
            txn_date=D(2026, 11, 12),
            amount_fen=second.amount_fen,
            direction="out",
            counterparty_name=second.payee_name,
            counterparty_account=second.payee_account,
            memo="科技计划项目经费",
            bank_reference="ICBC202611120101",
        ),
        services.StatementRow(
            row_no=5,
            txn_date=D(2026, 11, 16),
            amount_fen=300_000,
            direction="in",
            counterparty_name=bucket_31_90.borrower_name,
            counterparty_account=bucket_31_90.borrower_account,
            memo="还款",
            bank_reference="ICBC202611160102",
        ),
    ]
    closing = opening + sum(r.amount_fen if r.direction == "in" else -r.amount_fen for r in rows)
    statement, _report = services.statement_import(
        bank_account=city_bank,
        rows=rows,
        period_start=period_start,
        period_end=period_end,
        opening_balance=Decimal(opening) / 100,
        closing_balance=Decimal(closing) / 100,
        actor=w.finance,
        file_name="工行2026年11月流水.xlsx",
    )
    w.created(statement)
