"""Money where the ledger meets the rest of the world (issue 12): a domain event that ends a
record's right to money closes its open payment orders in the same transaction, and every
payment path asks the one rule; the award budget indicator is issued once per call and
district, and a supplement (追加) needs a reason and a second person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from accounts import services as accounts
from accounts.models import OrgUnit
from core import clock
from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import BudgetIndicator, BudgetLine, Disbursement
from ledger.verify import verify_ledger
from projects import awards, closing, contracts
from projects.contracts import ContractError
from projects.models import Application, Tranche, TransitionLog
from reviews import services as reviews

from .conftest import award_call, refresh, user
from .lifecycle import approved_project, award_approved, money, signed_contract

pytestmark = pytest.mark.django_db
S = Application.Status


def _figures(line: BudgetLine) -> dict[str, int]:
    row = BudgetLine.objects.with_figures().get(pk=line.pk)
    return {"available": row.available_fen, "committed": row.committed_fen}


def _second_district_finance() -> None:
    second = accounts.user_create(
        username="district_finance_2", password=None, full_name="西湖区财政局 复核"
    )
    accounts.membership_grant(
        user=second, role="district_finance", org_unit=OrgUnit.objects.get(code="330106")
    )


def _verify_clean() -> None:
    report = verify_ledger()
    assert report.ok, report.problems


def test_a_disqualified_awards_approved_order_is_cancelled_and_can_no_longer_be_paid(world):
    # given a granted award whose district payment order the second person approved
    books = money()
    nomination = award_approved()
    xihu = OrgUnit.objects.get(code="330106")
    _second_district_finance()
    with clock.frozen(dt.datetime(2027, 1, 15, 9, 0)):
        awards.award_indicator_issue(
            call=award_call(),
            district=xihu,
            actor=user("finance"),
            value_date=dt.date(2027, 1, 15),
            document_no="杭财教〔2027〕3号",
        )
        order = awards.award_pay_order(
            application=nomination,
            actor=user("district_finance"),
            payee_account="6228480000000000001",
        )
        order = ledger.disbursement_submit(disbursement=order, actor=user("district_finance"))
        order = ledger.disbursement_approve(disbursement=order, actor=user("district_finance_2"))
    line = order.budget_line
    assert _figures(line) == {"available": 0, "committed": 0}  # all of it approved to pay
    # when a spot check finds the nomination fraudulent (欺骗 → 取消资格)
    with clock.frozen(dt.datetime(2027, 1, 18, 9, 0)):
        check = reviews.spot_check_draw(
            call=award_call(), actor=user("city_officer"), sample_size=1, seed=1
        )
        reviews.spot_check_record(
            item=check.items.get(application=nomination),
            actor=user("city_officer"),
            fraud=True,
            note="虚报受益人次",
        )
    # then the order is cancelled with the reason, in the trail of the nomination too
    assert refresh(nomination).status == S.DISQUALIFIED
    order = Disbursement.objects.get(pk=order.pk)
    assert order.status == Disbursement.Status.CANCELLED
    assert "虚报受益人次" in order.decision_note
    trail = TransitionLog.objects.get(application=nomination, transition="disqualify")
    assert order.number in trail.reason
    # and the 50,000.00 is back on the district's line, nothing approved or committed
    assert _figures(line) == {"available": 5_000_000, "committed": 0}
    # and no door pays it: the cancelled order, a new award order, a hand-made order
    with clock.frozen(dt.datetime(2027, 1, 20, 9, 0)):
        with pytest.raises(LedgerError):
            ledger.disbursement_pay(
                disbursement=order,
                bank_account=books["district_bank"],
                paid_on=dt.date(2027, 1, 20),
                bank_reference="XH-FRAUD-1",
                actor=user("district_finance"),
            )
        with pytest.raises(ContractError):
            awards.award_pay_order(
                application=refresh(nomination),
                actor=user("district_finance"),
                payee_account="6228480000000000001",
            )
        with pytest.raises(LedgerError) as refused:
            ledger.disbursement_create(
                budget_line=line,
                amount=D("50000"),
                payee_name="俞根土",
                payee_account="6228480000000000001",
                project_ref=nomination.number,
                actor=user("district_finance"),
            )
    assert nomination.number in str(refused.value)
    assert "取消资格" in str(refused.value)
    assert not Disbursement.objects.filter(
        project_ref=nomination.number, status=Disbursement.Status.PAID
    ).exists()
    _verify_clean()


def test_an_order_made_before_termination_cannot_be_approved_or_paid_after_it(world):
    # given a signed project whose first tranche's order is submitted to the checker
    books = money()
    contract = signed_contract(approved_project())
    application = contract.application
    with clock.frozen(dt.datetime(2027, 3, 1, 10, 0)):
        first = contract.tranches.order_by("seq").first()
        order = contracts.tranche_order(tranche=first, actor=user("finance"))
        order = ledger.disbursement_submit(disbursement=order, actor=user("finance"))
        # when the city terminates the project
        closing.project_terminate(
            application=application, actor=user("city_officer"), reason="承担单位停产"
        )
    # then the order is cancelled, the tranches stopped, the commitment released
    assert Disbursement.objects.get(pk=order.pk).status == Disbursement.Status.CANCELLED
    assert set(contract.tranches.values_list("status", flat=True)) == {Tranche.Status.STOPPED}
    assert closing.remaining_commitment_fen(contract) == 0
    # and a tranche order is refused with the reason
    with clock.frozen(dt.datetime(2027, 3, 2, 10, 0)), pytest.raises(ContractError) as refused:
        contracts.tranche_order(tranche=first, actor=user("finance"))
    assert "终止" in str(refused.value) or "stopped" in str(refused.value)
    assert ledger.account_balance(books["bank"].account_id) == 800_000_000  # nothing paid
    _verify_clean()


def test_the_indicator_is_issued_once_and_a_supplement_needs_a_reason_and_a_second_person(
    world, client
):
    # given a granted award of 西湖区 and its indicator, issued on 2027-01-15
    money()
    award_approved()
    xihu = OrgUnit.objects.get(code="330106")
    call = award_call()
    with clock.frozen(dt.datetime(2027, 1, 15, 9, 0)):
        awards.award_indicator_issue(
            call=call,
            district=xihu,
            actor=user("finance"),
            value_date=dt.date(2027, 1, 15),
            document_no="杭财教〔2027〕3号",
        )
        # when finance clicks 下达 again with a new 文号
        with pytest.raises(ContractError) as again:
            awards.award_indicator_issue(
                call=call,
                district=xihu,
                actor=user("finance"),
                value_date=dt.date(2027, 1, 15),
                document_no="杭财教〔2027〕9号",
            )
        # then it is refused, naming the indicator already issued; nothing more posted
        assert "杭财教〔2027〕3号" in str(again.value) and "50,000.00" in str(again.value)
        assert awards.issued_fen(call, xihu) == 5_000_000
        # and the page shows it and offers no second 下达, nor a 追加 while nothing lacks
        client.force_login(user("finance"))
        html = client.get("/awards/indicators/").content.decode()
        assert "杭财教〔2027〕3号" in html
        assert 'value="issue"' not in html and 'value="request_supplement"' not in html
        client.force_login(user("district_finance"))  # the page is the city finance's
        assert client.get("/awards/indicators/").status_code == 403
        client.force_login(user("finance"))
        with pytest.raises(ContractError):
            awards.award_indicator_supplement_request(
                call=call,
                district=xihu,
                actor=user("finance"),
                value_date=dt.date(2027, 1, 15),
                document_no="杭财教〔2027〕10号",
                reason="无",
            )
    # given a second award granted after the indicator (2027-01-19)
    late = award_approved(person="沈建明", amount="30000.00", start=dt.date(2026, 12, 25))
    assert late.status == S.APPROVED
    with clock.frozen(dt.datetime(2027, 1, 20, 9, 0)):
        html = client.get("/awards/indicators/").content.decode()
        assert 'value="request_supplement"' in html and "30,000.00" in html
        # when finance asks for the supplement (追加) with its reason
        supplement = awards.award_indicator_supplement_request(
            call=call,
            district=xihu,
            actor=user("finance"),
            value_date=dt.date(2027, 1, 20),
            document_no="杭财教〔2027〕12号",
            reason="沈建明奖补经公示后批准，追加指标",
        )
        assert supplement.amount_fen == 3_000_000
        # then finance itself cannot approve it, the finance checker can
        with pytest.raises(ContractError):
            awards.award_indicator_supplement_decide(
                supplement=supplement, approve=True, actor=user("finance"), call=call
            )
        awards.award_indicator_supplement_decide(
            supplement=supplement, approve=True, actor=user("finance_checker"), call=call
        )
    kinds = sorted(
        BudgetIndicator.objects.filter(reference=awards.call_reference(call)).values_list(
            "kind", "amount_fen"
        )
    )
    assert kinds == [("issue", 5_000_000), ("supplement", 3_000_000)]
    assert awards.issued_fen(call, xihu) == 8_000_000
    _verify_clean()
