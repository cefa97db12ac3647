"""BENCH-ONLY DATA: the money of the province-year — budget lines, the entities behind
the ledger, the journal, the instalments (``bench/reports_data.py``; the builder's
part on money)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from reports_data_base import (
    BATCH,
    YEAR,
    D,
    _bulk,
)


class LedgerData:
    """The money of ``Builder`` (its state is the builder's)."""

    # --- money -----------------------------------------------------------------------

    def money_plan(self) -> None:
        rng = self.rng
        funded = [i for i in self.app_info if i["amount"] is not None]
        project = [i for i in funded if i["flow"] == "project"]
        repayable = set(id(i) for i in rng.sample(project, min(self.scale.repayable, len(project))))
        for info in funded:
            amount = info["amount"]
            info["repay"] = amount * 2 // 5 if id(info) in repayable else 0
            info["grant"] = amount - info["repay"]
            late = info["status"] not in ("approved",)
            finished = info["status"] in ("accepted", "failed", "closed", "acceptance_review")
            first = info["grant"] * 3 // 5 if info["flow"] == "project" else info["grant"]
            tranches = []
            if late:
                tranches.append((first, rng.choice(["paid", "reconciled"])))
                rest = info["grant"] - first
                if rest and finished:
                    tranches.append((rest, "paid"))
                elif rest and rng.random() < 0.2:
                    tranches.append((rest, "approved"))
            info["tranches"] = tranches
            info["repay_paid"] = bool(info["repay"]) and late
        self.plan.funded = funded
        self.log(f"  funded: {len(funded)}, repayable: {len(repayable)}")

    def budget_lines(self) -> None:
        from ledger.models import BudgetLine

        need: dict[tuple[str, int], int] = defaultdict(int)
        for info in self.plan.funded:
            if info["flow"] == "project":
                need[("grant", info["city"])] += info["grant"]
                need[("repayable", info["city"])] += info["repay"]
            else:
                need[("district_award", info["district"].pk)] += info["grant"]
                need[("award", info["city"])] += info["grant"]
        rows = []
        for c, city in enumerate(self.cities):
            for kind, instrument, source, code in (
                ("grant", "grant", "sci_tech", f"KJ{c + 1:02d}"),
                ("repayable", "repayable", "sci_tech", f"KJ{c + 1:02d}"),
                ("award", "award", "city_special", f"KP{c + 1:02d}"),
            ):
                rows.append(
                    BudgetLine(
                        code=f"{YEAR}-{code}-{instrument}-{source}-{city.code}",
                        name=f"{YEAR}年{city.name}{dict(grant='科技计划项目经费', repayable='有偿使用资金', award='科普惠农兴村奖补资金')[kind]}",
                        year=YEAR,
                        funding_source=source,
                        instrument=instrument,
                        programme_code=code,
                        scope_path=city.path,
                        created_by=self.user,
                    )
                )
        for district in self.districts:
            code = f"KP{self.city_of[district.pk] + 1:02d}"
            rows.append(
                BudgetLine(
                    code=f"{YEAR}-{code}-award-transfer-{district.code}",
                    name=f"{district.name} {YEAR}年科普惠农兴村奖补资金",
                    year=YEAR,
                    funding_source="transfer",
                    instrument="award",
                    programme_code=code,
                    scope_path=district.path,
                    created_by=self.user,
                )
            )
        _bulk(BudgetLine, rows)
        by_code = {line.code: line for line in BudgetLine.objects.all()}
        for c, city in enumerate(self.cities):
            for kind, instrument, source, code in (
                ("grant", "grant", "sci_tech", f"KJ{c + 1:02d}"),
                ("repayable", "repayable", "sci_tech", f"KJ{c + 1:02d}"),
                ("award", "award", "city_special", f"KP{c + 1:02d}"),
            ):
                line = by_code[f"{YEAR}-{code}-{instrument}-{source}-{city.code}"]
                self.plan.lines[(kind, c)] = line
                line.bench_amount = need[(kind, c)] * 5 // 4 + 100_000_00  # type: ignore[attr-defined]
        for district in self.districts:
            code = f"KP{self.city_of[district.pk] + 1:02d}"
            line = by_code[f"{YEAR}-{code}-award-transfer-{district.code}"]
            self.plan.lines[("district_award", district.pk)] = line
            line.bench_amount = need[("district_award", district.pk)] * 11 // 10 + 1_000_00  # type: ignore[attr-defined]

    def entities(self) -> None:
        """Everything with an account of its own: bank accounts, commitments, repayable
        accounts. The accounts themselves come with their balances, after the flows."""
        from ledger.models import RepayableAccount, aging_bucket

        rng = self.rng
        accounts = []
        for info in self.plan.funded:
            if not info["repay"]:
                continue
            status = rng.choices(["active", "overdue", "repaid"], [65, 30, 5])[0]
            days = rng.randrange(1, 700) if status == "overdue" else 0
            info["repay_status"] = status
            accounts.append(
                RepayableAccount(
                    number=f"YC{YEAR}{len(accounts):07d}",
                    project_ref=info["number"],
                    borrower_name=f"借款单位{info['organisation']}",
                    budget_line=self.plan.lines[("repayable", info["city"])],
                    scope_path=info["district"].path,
                    principal_fen=info["repay"],
                    start_date=D(YEAR - 1, 1 + len(accounts) % 12, 1),
                    term_months=36,
                    grace_months=0,
                    period_months=1,
                    method="equal_principal",
                    fee_rate=Decimal("0.02"),
                    overdue_rate=Decimal("0.0005"),
                    status=status if info["repay_paid"] else "scheduled",
                    days_overdue=days,
                    aging=aging_bucket(days),
                    aged_as_of=D(YEAR, 11, 20),
                    created_by=self.user,
                )
            )
        _bulk(RepayableAccount, accounts)
        pks = dict(RepayableAccount.objects.values_list("project_ref", "pk"))
        for info in self.plan.funded:
            if info["repay"]:
                info["repayable_pk"] = pks[info["number"]]
        self.log(f"  repayable accounts: {len(accounts)}")

    # --- journal -----------------------------------------------------------------------

    def flows(self) -> Iterator[tuple[str, dt.date, list[tuple[tuple[Any, ...], int]], Any]]:
        """(entry kind, value date, legs as (account key, signed fen), what it books).
        Deterministic: run twice, it yields the same entries."""
        rng = random.Random(7)
        plan = self.plan
        for (kind, _where), line in plan.lines.items():
            if kind == "district_award":
                continue
            amount = line.bench_amount
            yield (
                "budget_issue",
                D(YEAR, 1, 10),
                [
                    (("line", line.pk, "available"), amount),
                    (("line", line.pk, "appropriation"), -amount),
                ],
                None,
            )
        for (kind, where), line in plan.lines.items():
            if kind != "district_award":
                continue
            city_line = plan.lines[("award", self.city_of[where])]
            amount = line.bench_amount
            yield (
                "indicator",
                D(YEAR, 2, 1),
                [
                    (("line", city_line.pk, "transferred"), amount),
                    (("line", city_line.pk, "available"), -amount),
                    (("line", line.pk, "available"), amount),
                    (("line", line.pk, "appropriation"), -amount),
                ],
                None,
            )
        for info in plan.funded:
            line = (
                plan.lines[("grant", info["city"])]
                if info["flow"] == "project"
                else plan.lines[("district_award", info["district"].pk)]
            )
            info["line"] = line
            yield (
                "commit",
                D(YEAR, 7, 20),
                [
                    (("commit", info["number"]), info["grant"]),
                    (("line", line.pk, "available"), -info["grant"]),
                ],
                None,
            )
            bank = ("bank", info["city"], "bank")
            for n, (amount, status) in enumerate(info["tranches"]):
                yield (
                    "approve",
                    D(YEAR, 8, 1),
                    [
                        (("line", line.pk, "approved"), amount),
                        (("commit", info["number"]), -amount),
                    ],
                    ("disbursement", info, n, "approve"),
                )
                if status != "approved":
                    yield (
                        "pay",
                        D(YEAR, 8, 5 + n),
                        [
                            (("line", line.pk, "disbursed"), amount),
                            (("line", line.pk, "approved"), -amount),
                            (("line", line.pk, "grant_expense"), amount),
                            (bank, -amount),
                        ],
                        ("disbursement", info, n, "pay"),
                    )
            if info["repay"] and info["repay_paid"]:
                repay_line = plan.lines[("repayable", info["city"])]
                account = info["repayable_pk"]
                amount = info["repay"]
                yield (
                    "approve",
                    D(YEAR, 8, 1),
                    [
                        (("line", repay_line.pk, "approved"), amount),
                        (("line", repay_line.pk, "available"), -amount),
                    ],
                    ("disbursement", info, -1, "approve"),
                )
                yield (
                    "pay",
                    D(YEAR, 8, 6),
                    [
                        (("line", repay_line.pk, "disbursed"), amount),
                        (("line", repay_line.pk, "approved"), -amount),
                        (("rep", account, "receivable"), amount),
                        (bank, -amount),
                    ],
                    ("disbursement", info, -1, "pay"),
                )
                months = rng.randrange(0, 6)
                fee = amount * 2 // 100 // 12
                for m in range(months):
                    yield (
                        "fee",
                        D(YEAR, 9 + m % 4, 1),
                        [
                            (("rep", account, "fee_receivable"), fee),
                            (("rep", account, "usage_fee_income"), -fee),
                        ],
                        None,
                    )
                status = info["repay_status"]
                if status == "repaid" or (status == "active" and months and rng.random() < 0.5):
                    principal = amount if status == "repaid" else amount // 36 * months
                    fees = fee * months
                    if principal + fees:
                        yield (
                            "repayment",
                            D(YEAR, 11, 1),
                            [
                                (bank, principal + fees),
                                (("rep", account, "receivable"), -principal),
                                *([(("rep", account, "fee_receivable"), -fees)] if fees else []),
                            ],
                            ("repayment", info, principal, fees),
                        )

    def journal(self) -> None:
        """Two passes over the flows: balances first (so the accounts are made with
        them), then the entries and legs, in chunks."""
        from ledger.chain import CURRENT_HASH_VERSION
        from ledger.models import Account, BankAccount, Commitment, Entry, Leg

        balances: dict[tuple[Any, ...], int] = defaultdict(int)
        real = 0
        for _kind, _date, legs, _what in self.flows():
            real += 1
            for key, amount in legs:
                balances[key] += amount
        padding = max(self.scale.entries - real, 0)
        for n in range(padding):
            city = n % len(self.cities)
            balances[("bank", city, "bank")] += 1_000_00
            balances[("bank", city, "fiscal_revenue")] -= 1_000_00
        self.log(f"  journal: {real} entries from the rows, {padding} bank-funding entries")

        # The chart, with the balances.
        rules = {
            "appropriation": ("budget", "credit", False),
            "available": ("budget", "debit", True),
            "committed": ("budget", "debit", True),
            "approved": ("budget", "debit", True),
            "disbursed": ("budget", "debit", False),
            "transferred": ("budget", "debit", False),
            "grant_expense": ("cash", "debit", False),
            "bank": ("cash", "debit", False),
            "fiscal_revenue": ("cash", "credit", False),
            "receivable": ("cash", "debit", True),
            "fee_receivable": ("cash", "debit", True),
            "penalty_receivable": ("cash", "debit", True),
            "usage_fee_income": ("cash", "credit", False),
            "penalty_income": ("cash", "credit", False),
            "write_off": ("cash", "debit", False),
            "recovery_income": ("cash", "credit", False),
        }
        accounts: dict[tuple[Any, ...], Account] = {}

        def account(key: tuple[Any, ...], code: str, kind: str, scope: str, **kw: Any) -> None:
            book, side, floor = rules[kind]
            accounts[key] = Account(
                code=code,
                name=code,
                book=book,
                side=side,
                floor_zero=floor,
                kind=kind,
                scope_path=scope,
                balance=balances.get(key, 0),
                **kw,
            )

        for line in self.plan.lines.values():
            for kind in ("appropriation", "available", "approved", "disbursed", "transferred",
                         "grant_expense"):  # fmt: skip
                account(("line", line.pk, kind), f"{line.code}:{kind}", kind, line.scope_path,
                        budget_line=line)  # fmt: skip
        for info in self.plan.funded:
            line = info["line"]
            account(("commit", info["number"]), f"{line.code}:committed:{info['number']}",
                    "committed", line.scope_path, budget_line=line,
                    project_ref=info["number"])  # fmt: skip
            if info["repay"]:
                pk = info["repayable_pk"]
                for kind in ("receivable", "fee_receivable", "penalty_receivable",
                             "usage_fee_income", "penalty_income", "write_off",
                             "recovery_income"):  # fmt: skip
                    account(("rep", pk, kind), f"repayable:{pk}:{kind}", kind,
                            info["district"].path, repayable_id=pk,
                            project_ref=info["number"])  # fmt: skip
        for c, city in enumerate(self.cities):
            account(("bank", c, "bank"), f"bank:{city.code}", "bank", city.path)
            account(("bank", c, "fiscal_revenue"), f"revenue:{city.code}", "fiscal_revenue",
                    city.path)  # fmt: skip
        assert all(k in accounts for k in balances), "a flow posts to an account not made"
        _bulk(Account, list(accounts.values()))
        pk_of = {a.code: a.pk for a in Account.objects.only("pk", "code")}
        ids = {key: pk_of[a.code] for key, a in accounts.items()}
        self.log(f"  accounts: {len(ids)}")

        _bulk(
            BankAccount,
            [
                BankAccount(
                    name=f"{city.name}财政局零余额账户",
                    bank_name="基准银行",
                    account_number=f"BENCH{city.code}",
                    scope_path=city.path,
                    account_id=ids[("bank", c, "bank")],
                    revenue_account_id=ids[("bank", c, "fiscal_revenue")],
                )
                for c, city in enumerate(self.cities)
            ],
        )
        bank_of = dict(BankAccount.objects.values_list("account_id", "pk"))
        _bulk(
            Commitment,
            [
                Commitment(
                    budget_line=info["line"],
                    project_ref=info["number"],
                    payee_name=f"单位{info['organisation']}",
                    account_id=ids[("commit", info["number"])],
                    scope_path=info["district"].path,
                    created_by=self.user,
                )
                for info in self.plan.funded
            ],
        )
        commitment_of = dict(Commitment.objects.values_list("project_ref", "pk"))

        # The entries and legs, chunk by chunk; disbursements and repayments remember
        # their entries.
        seq = 0
        entry_rows: list[Entry] = []
        leg_rows: list[list[tuple[int, int]]] = []
        booked: list[Any] = []
        disbursements: dict[tuple[str, int], dict[str, Any]] = {}
        repayments: list[dict[str, Any]] = []

        def flush() -> None:
            if not entry_rows:
                return
            from django.db import transaction

            with transaction.atomic():
                made = Entry.objects.bulk_create(entry_rows, batch_size=BATCH)
                Leg.objects.bulk_create(
                    [
                        Leg(entry_id=entry.pk, account_id=acc, amount=amount)
                        for entry, legs in zip(made, leg_rows, strict=True)
                        for acc, amount in legs
                    ],
                    batch_size=BATCH * 2,
                )
            for entry, what in zip(made, booked, strict=True):
                if what is None:
                    continue
                if what[0] == "disbursement":
                    _tag, info, n, step = what
                    disbursements.setdefault((info["number"], n), {"info": info, "n": n})[step] = (
                        entry.pk
                    )
                elif what[0] == "repayment":
                    _tag, info, principal, fees = what
                    repayments.append(
                        {"info": info, "principal": principal, "fee": fees, "entry": entry.pk}
                    )
            entry_rows.clear()
            leg_rows.clear()
            booked.clear()

        def add(kind: str, day: dt.date, legs: list[tuple[int, int]], what: Any) -> None:
            nonlocal seq
            seq += 1
            entry_rows.append(
                Entry(
                    idempotency_key=f"bench:{seq}",
                    kind=kind,
                    value_date=day,
                    memo="基准测试数据",
                    hash_version=CURRENT_HASH_VERSION,
                )
            )
            leg_rows.append(legs)
            booked.append(what)
            if len(entry_rows) >= 10_000:
                flush()

        for kind, day, legs, what in self.flows():
            add(kind, day, [(ids[key], amount) for key, amount in legs], what)
        for n in range(padding):
            c = n % len(self.cities)
            add(
                "bank_funding",
                D(YEAR, 1 + n % 12, 1 + n % 28),
                [
                    (ids[("bank", c, "bank")], 1_000_00),
                    (ids[("bank", c, "fiscal_revenue")], -1_000_00),
                ],
                None,
            )
        flush()
        self.log(f"  entries: {seq}")
        self._disbursements(disbursements, ids, commitment_of, bank_of)
        self._repayments(repayments, ids, bank_of)

    def _disbursements(
        self, found: dict[Any, dict[str, Any]], ids: dict[Any, int], commitment_of: Any,
        bank_of: Any,
    ) -> None:  # fmt: skip
        from ledger.models import Disbursement

        rows = []
        for (number, n), row in sorted(found.items()):
            info = row["info"]
            bank = bank_of[ids[("bank", info["city"], "bank")]]
            if n == -1:  # the repayable tranche
                amount, status = info["repay"], "paid"
                line = self.plan.lines[("repayable", info["city"])]
                extra: dict[str, Any] = {"repayable_id": info["repayable_pk"]}
            else:
                amount, status = info["tranches"][n]
                line = info["line"]
                extra = {"commitment_id": commitment_of[number]}
            paid = status in ("paid", "reconciled")
            rows.append(
                Disbursement(
                    number=f"BF{YEAR}{len(rows):07d}",
                    budget_line=line,
                    project_ref=number,
                    tranche_no=max(n, 0) + 1,
                    payee_name=f"单位{info['organisation']}",
                    payee_account=f"6222{info['organisation']:012d}",
                    amount_fen=amount,
                    scope_path=line.scope_path,
                    status=status,
                    maker=self.user,
                    approver=self.checker,
                    bank_account_id=bank if paid else None,
                    paid_on=D(YEAR, 8, 5) if paid else None,
                    bank_reference=f"BENCHREF{len(rows):09d}" if paid else "",
                    approve_entry_id=row.get("approve"),
                    pay_entry_id=row.get("pay"),
                    **extra,
                )
            )
        _bulk(Disbursement, rows)
        self.log(f"  disbursements: {len(rows)}")

    def _repayments(self, found: list[dict[str, Any]], ids: dict[Any, int], bank_of: Any) -> None:
        from ledger.models import Repayment

        _bulk(
            Repayment,
            [
                Repayment(
                    number=f"HK{YEAR}{n:07d}",
                    account_id=row["info"]["repayable_pk"],
                    value_date=D(YEAR, 11, 1),
                    amount_fen=row["principal"] + row["fee"],
                    fee_fen=row["fee"],
                    principal_fen=row["principal"],
                    scope_path=row["info"]["district"].path,
                    bank_account_id=bank_of[ids[("bank", row["info"]["city"], "bank")]],
                    entry_id=row["entry"],
                    recorded_by=self.user,
                )
                for n, row in enumerate(found)
            ],
        )
        self.log(f"  repayments: {len(found)}")

    def instalments(self) -> None:
        from ledger.models import Instalment

        rows = []
        for info in self.plan.funded:
            if not info["repay"]:
                continue
            monthly = info["repay"] // 36
            for m in range(36):
                due = D(YEAR + m // 12, 1 + m % 12, 28)
                principal = monthly if m < 35 else info["repay"] - monthly * 35
                rows.append(
                    Instalment(
                        account_id=info["repayable_pk"],
                        seq=m + 1,
                        due_date=due,
                        principal_due_fen=principal,
                        fee_due_fen=info["repay"] * 2 // 100 // 12,
                    )
                )
        for start in range(0, len(rows), 20_000):
            _bulk(Instalment, rows[start : start + 20_000])
        self.log(f"  instalments: {len(rows)}")
