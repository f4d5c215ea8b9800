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
MIN_GAP_DAYS = 2  # no care message within this many days of the last contact (batches)


def window(channel: Channel | str) -> Window | None:
    try:
        return WINDOWS[Channel(channel)]
    except ValueError:
        return None


__all__ = ["MIN_GAP_DAYS", "SELLING_MIN_MESSAGES", "SELLING_SHARE", "WINDOWS", "Window", "window"]
