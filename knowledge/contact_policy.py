"""How often one customer may hear from a brand: the one home of the contact windows.

The batch planner never drafts what would go over them (``batch.due``), and the pressure
check flags a draft that would (``evals.checks.pressure``); both read them from here.

Where the defaults come from (practice, not law):

- wechat: WeCom limits enterprise mass messages (客户群发) to 1 per customer per day and
  operators' own guides recommend 2-3 one-to-one touches a week at most: 3 in 7 days.
- sms: marketing SMS is consent-based (MIIT 2015 rules); operators and carriers keep
  marketing SMS to 2-4 a month to stay under complaint thresholds: 4 in 30 days.
- email: newsletter practice of weekly at most for care mail: 4 in 30 days.
- community: a post is to a group, not a person: 7 in 7 days for posts that reach one member.

``SELLING_SHARE``: above this share of selling messages in the window (with at least
``SELLING_MIN_MESSAGES`` messages) the relationship is being spent.

One person, every channel (``PERSON_WINDOW``, ``PERSON_SELLING_DAYS``): the windows above are
per channel, and each allows its own, so an SMS, a WeChat message and another SMS in five days
broke none of them. The domain counts "too many messages to one customer in a period" among
the spam signals (the shared DOMAIN.md): to one customer, not per channel. The default holds
the person to the tightest one-to-one window above, WeChat's 2-3 touches a week: 3 messages in
7 days across all channels, the new one included. The selling share across channels is read
over 30 days (the SMS and e-mail windows: what a customer remembers of a month). A message
within ``MIN_GAP_DAYS`` of the last contact on any channel, the day after it or the same day,
is flagged too (the batch already holds itself to that gap, ``batch.due``; a draft asked for by
hand did not).
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.pack import Channel


@dataclass(frozen=True)
class Window:
    days: int  # the window, ending on the day of the message
    max: int  # messages in it, the new one included


WINDOWS: dict[Channel, Window] = {
    Channel.WECHAT: Window(days=7, max=3),
    Channel.SMS: Window(days=30, max=4),
    Channel.EMAIL: Window(days=30, max=4),
    Channel.COMMUNITY: Window(days=7, max=7),
}
SELLING_SHARE = 0.5
SELLING_MIN_MESSAGES = 3
MIN_GAP_DAYS = 2  # no message within this many days of the last contact, on any channel
# one person, all channels together (see the module docstring)
PERSON_WINDOW = Window(days=7, max=3)
PERSON_SELLING_DAYS = 30
# Moments a message the day after another is right for: an answer to the customer's own
# question, and the welcome the day after the order's notice (read on 2026-12-06: a welcome
# the day after the order confirmation is what a reader would send).
SOON_IS_FINE = frozenset({"question", "welcome"})


def window(channel: Channel | str) -> Window | None:
    try:
        return WINDOWS[Channel(channel)]
    except ValueError:
        return None


__all__ = [
    "MIN_GAP_DAYS",
    "PERSON_SELLING_DAYS",
    "PERSON_WINDOW",
    "SELLING_MIN_MESSAGES",
    "SELLING_SHARE",
    "SOON_IS_FINE",
    "WINDOWS",
    "Window",
    "window",
]
