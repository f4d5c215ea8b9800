"""What the model must return, per content kind. Each schema is passed to the LLM as
``json_schema`` (the local model is grammar-constrained to it) and parsed back with
:func:`generator.parse.parse_reply`. Fixed parts (SMS signature and opt-out, the email
unsubscribe line and sender) are never asked of the model: the pipeline appends them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Reply(BaseModel):
    """The base of every reply schema (extra keys ignored, strings stripped)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class CareReply(Reply):
    text: str = Field(min_length=2, description="the message the customer reads")


class EmailReply(Reply):
    subject: str = Field(min_length=2)
    body: str = Field(min_length=10, description="the email body, without the sign-off")
    belief_used: str = Field(default="", description="the belief sentence woven into the body")
    sign_off: str = Field(min_length=1)


class PostReply(Reply):
    title: str = Field(min_length=2)
    body: str = Field(min_length=10)


def json_schema(reply: type[Reply]) -> dict[str, Any]:
    """The JSON schema handed to the model for ``reply`` (no titles or descriptions: shorter)."""
    schema = reply.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        prop.pop("description", None)
    schema["required"] = list(schema.get("properties", {}))
    return schema
