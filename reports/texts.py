"""The strings of ``templates/reports``, listed here so that ``makemessages`` run inside
``reports/`` puts them in this app's catalogue (Django looks a msgid up in every
catalogue, so the templates find them). Keep them identical to the templates."""

from django.utils.translation import gettext_noop

TEMPLATE_STRINGS = (
    gettext_noop("Reports"),
    gettext_noop("Download the year-end workbook"),
    gettext_noop("Year-end workbook…"),
    gettext_noop("Figures of %(scope)s and everything under it, as the books stand now."),
    gettext_noop("Show"),
    gettext_noop("Figures"),
    gettext_noop("Nothing to show for this year."),
    gettext_noop("Your roles have no dashboard."),
    gettext_noop("Year-end workbook"),
    gettext_noop("Dashboard"),
    gettext_noop("Download (.xlsx)"),
    gettext_noop("What it holds"),
    gettext_noop("One Excel file with six sheets for %(scope)s and everything under it:"),
    gettext_noop(
        "the applications of the year's calls, with review score and rank, amounts "
        "approved, paid and to be recovered, and the acceptance conclusion"
    ),
    gettext_noop("the year's budget lines: budget, committed, paid, available"),
    gettext_noop("repayable funding: principal, repayments, usage fees, days overdue and aging"),
    gettext_noop(
        "by district: applications, recommended, approved, amounts, accepted; with charts"
    ),
    gettext_noop("acceptances of the year's projects and those concluded in the year"),
    gettext_noop("the contracted indicators of those projects, target and achieved"),
    gettext_noop(
        "Amounts are in yuan. Figures are the books as they stand when the file is made; "
        "an unknown figure is left blank."
    ),
    # the workbook prepared in the background (templates/reports/export.html, year_end.html)
    gettext_noop("Prepare the workbook (.xlsx)"),
    gettext_noop(
        "A province's workbook takes a while: it is prepared in the background, and this page offers it when ready."
    ),
    gettext_noop("My recent workbooks"),
    gettext_noop("requested at"),
    gettext_noop("year"),
    gettext_noop("scope"),
    gettext_noop("status"),
    gettext_noop("Year-end workbook %(year)s"),
    gettext_noop("The workbook could not be made. Please try again, or tell the administrator."),
    gettext_noop("This page follows the progress by itself; without script, reload it."),
    gettext_noop("Reload"),
)
