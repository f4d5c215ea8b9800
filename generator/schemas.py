"""What the model must return, per content kind. Each schema is passed to the LLM as
``json_schema`` (the local model is grammar-constrained to it) and parsed back with
:func:`generator.parse.parse_reply`. Fixed parts (SMS signature and opt-out, the email
unsubscribe line and sender) are never asked of the model: the pipeline appends them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from generator.drafts import ContentKind


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CareReply(_Reply):
    text: str = Field(min_length=2, description="the message the customer reads")


class EmailReply(_Reply):
    subject: str = Field(min_length=2)
    body: str = Field(min_length=10, description="the email body, without the sign-off")
    belief_used: str = Field(default="", description="the belief sentence woven into the body")
    sign_off: str = Field(min_length=1)


class PostReply(_Reply):
    title: str = Field(min_length=2)
    body: str = Field(min_length=10)


REPLY_SCHEMAS: dict[ContentKind, type[_Reply]] = {
    ContentKind.CARE_MESSAGE: CareReply,
    ContentKind.AFTERSALE_EMAIL: EmailReply,
    ContentKind.USER_STORY_POST: PostReply,
    ContentKind.COMMUNITY_POST: PostReply,
}


def reply_model(kind: ContentKind | str) -> type[_Reply]:
    return REPLY_SCHEMAS[ContentKind(kind)]


def json_schema(kind: ContentKind | str) -> dict[str, Any]:
    """The JSON schema handed to the model for ``kind`` (no titles or descriptions: shorter)."""
    schema = reply_model(kind).model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        prop.pop("description", None)
    schema["required"] = list(schema.get("properties", {}))
    return schema
