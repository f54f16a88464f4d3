"""Daily review reminders: one e-mail per learner per local day, guaranteed by a unique row (the outbox)."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from dlquiz.reminders.models import ReminderSent
from dlquiz.study.models import StudySettings
from dlquiz.study.selectors import deck_due_counts
from dlquiz.study.zones import zone_get

log = logging.getLogger(__name__)
_SALT = "dlquiz.reminders.unsubscribe"
_MESSAGE_ID_SALT = "dlquiz.reminders.message-id"


class UnsubscribeError(ValueError):
    pass


def unsubscribe_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=_SALT)


def reminders_unsubscribe(*, token: str) -> int:
    try:
        data = signing.loads(token, salt=_SALT)
        user_id = int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise UnsubscribeError("退订链接无效 / invalid unsubscribe link") from None
    updated = StudySettings.objects.filter(user_id=user_id).update(email_reminders=False)
    if not updated:
        raise UnsubscribeError("退订链接无效 / invalid unsubscribe link")
    return user_id


def reminders_candidates(*, now: dt.datetime) -> list[tuple[int, dt.date]]:
    """(user id, local date) of learners whose reminder time has passed today and who have had none today."""
    out = []
    rows = StudySettings.objects.filter(email_reminders=True, user__is_active=True).exclude(user__email="")
    for s in rows.only("user_id", "timezone", "reminder_time"):
        zone = zone_get(s.timezone)
        if zone is None:  # one learner's bad row must not stop everyone else's reminders
            log.error("reminders: user %s has an unknown time zone %r; skipped", s.user_id, s.timezone)
            continue
        local = now.astimezone(zone)
        if local.time() >= s.reminder_time:
            out.append((s.user_id, local.date()))
    if not out:
        return []
    # a pending row (due cards, not handed over) stays a candidate: every tick sweeps the outbox
    sent = set(
        ReminderSent.objects.filter(user_id__in=[u for u, _ in out], local_date__in={d for _, d in out})
        .filter(Q(handed_over_at__isnull=False) | Q(due_count=0))
        .values_list("user_id", "local_date")
    )
    return [(u, d) for u, d in out if (u, d) not in sent]


def reminder_message_id(*, user_id: int, local_date: dt.date) -> str:
    """The reminder's Message-ID: the same for every attempt at one learner's day, on every worker."""
    digest = salted_hmac(_MESSAGE_ID_SALT, f"{user_id}:{local_date.isoformat()}").hexdigest()[:24]
    host = urlsplit(settings.SITE_URL).hostname or "dlquiz.local"
    return f"<reminder.{local_date:%Y%m%d}.{digest}@{host}>"


def reminder_send(*, user_id: int, local_date: dt.date, now: dt.datetime) -> bool:
    """Send the reminder for ``local_date`` unless it was already handed over. Returns True if mailed.

    First the day's row (the outbox entry: rendered message, stable Message-ID) is committed; then, holding
    its lock, the message is handed to the mail server and the row marked handed over. A second run or a
    second beat finds the row handed over and stops; a failed send, or a worker killed after the server
    accepted the message and before the mark committed, leaves the row pending and the next attempt sends the
    same message with the same Message-ID, so the mail server sees one message (docs/architecture.md).
    """
    user = get_user_model().objects.select_related("study_settings").get(pk=user_id)
    prefs = user.study_settings
    if not prefs.email_reminders or not user.email:
        return False
    zone = zone_get(prefs.timezone)
    if zone is None:
        log.error("reminders: user %s has an unknown time zone %r; not sent", user_id, prefs.timezone)
        return False
    local = now.astimezone(zone)
    if local.date() != local_date:
        return False  # a stale task from another day: that day's chance is gone
    try:
        with transaction.atomic():
            row = _reminder_claim(user=user, local_date=local_date, now=now)
    except IntegrityError:
        return False  # a concurrent attempt claimed the day: it sends
    if not row.due_count or row.handed_over_at is not None:
        return False
    with transaction.atomic():
        row = ReminderSent.objects.select_for_update().get(pk=row.pk)
        if row.handed_over_at is not None:
            return False  # a concurrent attempt sent it while this one waited
        _hand_over(row, to=user.email)
        row.handed_over_at = timezone.now()
        row.save(update_fields=["handed_over_at"])
    log.info("reminder sent to user %s for %s (%s due)", user_id, local_date, row.due_count)
    return True


def _reminder_claim(*, user: User, local_date: dt.date, now: dt.datetime) -> ReminderSent:
    """The learner's row for the day; created with the rendered message if there is none."""
    row = ReminderSent.objects.filter(user=user, local_date=local_date).first()
    if row is not None:
        return row
    counts = deck_due_counts(user=user, now=now)
    due_total = sum(c["due"] for c in counts)
    if due_total == 0:
        return ReminderSent.objects.create(user=user, local_date=local_date, due_count=0)
    lines = [f"- {c['name']}: {c['due']}" for c in counts if c["due"]]
    link = f"{settings.SITE_URL}/study"
    unsub = settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(user_id=user.pk)])
    body = (
        f"{user.get_username()}，你今天有 {due_total} 张卡片待复习 / {due_total} cards are due today:\n\n"
        + "\n".join(lines)
        + f"\n\n开始复习 / Study now: {link}\n\n退订 / Unsubscribe: {unsub}\n"
    )
    return ReminderSent.objects.create(
        user=user,
        local_date=local_date,
        due_count=due_total,
        message_id=reminder_message_id(user_id=user.pk, local_date=local_date),
        subject=f"dlquiz：今天有 {due_total} 张卡片待复习",
        body=body,
    )


def _hand_over(row: ReminderSent, *, to: str) -> None:
    """Give the row's message to the mail server (raises if it was not accepted)."""
    EmailMessage(row.subject, row.body, None, [to], headers={"Message-ID": row.message_id}).send()
