"""The one Jinja2 environment for prompts (``prompts/<lang>/*.j2``, StrictUndefined).

A prompt is two messages, ordered from most to least stable so llama.cpp reuses its KV
cache across drafts: the system message is the brand context (``brand.j2``, identical for
every draft of a brand), the user message (``slots.j2``) starts with the slots to write and
ends with the customer and situation. A revision appends the model's reply and asks again
for the slots whose checks failed (``slot_revise.j2``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

import prompts
from core.errors import ConfigError
from llm.base import ChatMessage

PROMPTS_DIR = Path(prompts.__file__).resolve().parent
LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "zh"


def render_template(name: str, **context: Any) -> str:
    """Render one template; a missing variable or template is a :class:`ConfigError`."""
    try:
        return environment().get_template(name).render(**context).strip()
    except jinja2.UndefinedError as exc:
        raise ConfigError(
            f"prompt template {name!r} is missing a variable: {exc.message}",
            hint="pass every variable the template uses",
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"no prompt template {exc.name!r} in {PROMPTS_DIR}") from exc


def templates_hash(names: Iterable[str]) -> str:
    """sha256 over the sources of ``names`` (and what they include), in order."""
    digest = hashlib.sha256()
    loader = environment().loader
    assert loader is not None
    for name in names:
        source, _, _ = loader.get_source(environment(), name)
        digest.update(name.encode() + b"\0" + source.encode("utf-8") + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class RenderedPrompt:
    messages: list[ChatMessage]
    template: str  # the user message's template, e.g. "zh/slots.j2"
    template_hash: str  # sha256 of every template source this prompt used

    @property
    def system(self) -> str:
        return self.messages[0]["content"]

    @property
    def user(self) -> str:
        return self.messages[-1]["content"]


def render_slots(lang: str, **context: Any) -> RenderedPrompt:
    """The brand block (system) then the slots to write and the situation (user) for a
    composed draft (see :mod:`generator.slots`): what is stable for a kind and moment comes
    first, the customer last."""
    lang = _lang(lang)
    brand_name = f"{lang}/brand.j2"
    kind_name = f"{lang}/slots.j2"
    system = render_template(brand_name, **context)
    user = render_template(kind_name, **context)
    return RenderedPrompt(
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        template=kind_name,
        template_hash=templates_hash([brand_name, kind_name, f"{lang}/slot_revise.j2"]),
    )


def render_slot_revision(lang: str, fixes: Iterable[tuple[str, list[Any]]]) -> str:
    """Ask for only the slots whose checks failed, with what was wrong with each."""
    return render_template(f"{_lang(lang)}/slot_revise.j2", fixes=list(fixes))
