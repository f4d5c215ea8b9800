"""How long a message may be on each channel: the one home of channel limits.

The planner tells the model these limits and the channel check holds drafts to them, so both
read them from here. Chinese counts characters; English counts words for the model and
letters for the check (a word is ~6-7 letters with its space).

- WeChat 1:1 care messages read like a chat: about 150 Chinese characters or 90 words.
- SMS: one segment is 70 characters with Chinese (UCS-2) or 160 of plain Latin text
  (GSM 03.38); concatenated segments carry a header (67 / 153 characters each).
- Email bodies and community posts have room for a few short paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.pack import Channel


@dataclass(frozen=True)
class ChannelLimits:
    zh_chars: int  # Chinese characters of the part the model writes
    en_words: int  # English words of the part the model writes
    en_chars: int  # English letters (the check's measure)


LIMITS: dict[Channel, ChannelLimits] = {
    Channel.WECHAT: ChannelLimits(zh_chars=150, en_words=90, en_chars=600),
    Channel.EMAIL: ChannelLimits(zh_chars=400, en_words=220, en_chars=1500),
    Channel.COMMUNITY: ChannelLimits(zh_chars=400, en_words=250, en_chars=1700),
    Channel.SMS: ChannelLimits(zh_chars=70, en_words=26, en_chars=160),
}

SMS_SEGMENT = {"zh": 70, "en": 160}  # one segment: UCS-2 (Chinese) or GSM 7-bit (Latin)
SMS_SEGMENT_MULTI = {"zh": 67, "en": 153}  # each segment of a concatenated message


def limits(channel: Channel | str) -> ChannelLimits:
    return LIMITS[Channel(channel)]


__all__ = ["LIMITS", "SMS_SEGMENT", "SMS_SEGMENT_MULTI", "ChannelLimits", "limits"]
