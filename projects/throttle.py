"""How many objections the public 公示 page takes (settings, see config/settings/base.py):

* ``OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR`` (5) from one address to one notice within
  the last hour: one person objecting to several items in one sitting, or a few
  colleagues behind one office address, fit; a script does not.
* ``OBJECTION_LIMIT_PER_NOTICE_PER_DAY`` (100) to one notice on one Beijing day: a
  district notice of a few dozen names receives a handful of objections over its whole
  period, so this is far above any real day and bounds a flood from many addresses.

The counts are of the stored objections themselves (indexed by notice and time), so
they hold across app servers with no cache to configure, and the notice row is locked
first so that concurrent requests are counted one after the other. Whoever is turned
away is told to send the objection in writing to the publishing office, which every
公示 names as the other channel.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notice, Objection


def objection_refusal(*, notice: Notice, client_ip: str | None, moment: dt.datetime) -> str:
    """Why one more objection to ``notice`` from ``client_ip`` at ``moment`` is not
    taken now ("" if it is). Call with the notice row locked."""
    office = notice.unit.name
    per_address = settings.OBJECTION_LIMIT_PER_ADDRESS_PER_HOUR
    if client_ip:
        recent = Objection.objects.filter(
            notice=notice, filed_from=client_ip, filed_at__gt=moment - dt.timedelta(hours=1)
        ).count()
        if recent >= per_address:
            return _(
                "%(n)d objections to this notice have come from your network address within "
                "one hour, the most it takes. Please try again later, or send your objection "
                "in writing to the publishing office (%(office)s)."
            ) % {"n": recent, "office": office}
    per_day = settings.OBJECTION_LIMIT_PER_NOTICE_PER_DAY
    local = timezone.localtime(moment)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = Objection.objects.filter(
        notice=notice, filed_at__gte=day_start, filed_at__lt=day_start + dt.timedelta(days=1)
    ).count()
    if today >= per_day:
        return _(
            "This notice has received %(n)d objections online today, the most it takes in "
            "one day. Please try again tomorrow, or send your objection in writing to the "
            "publishing office (%(office)s)."
        ) % {"n": today, "office": office}
    return ""
