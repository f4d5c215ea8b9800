"""Local model speed: prompt and generation tokens/s, and what prompt-prefix reuse saves.

    .venv/bin/python -m bench llm        (needs `zhenxin model setup`; ZHENXIN_DATA_DIR)
    ZHENXIN_LOCAL_THREADS=1 .venv/bin/python -m bench llm     (compare thread counts)

llama.cpp keeps the KV cache of the previous prompt and re-evaluates only what follows the
longest common token prefix, so a stable prefix (system prompt + brand knowledge) followed
by a varying tail (the customer) should cost the prefix only once.
"""

from __future__ import annotations

import statistics
import time

from core.settings import get_settings
from llm.base import ChatMessage, Completion
from llm.local import LocalLLM
from llm.model_files import model_path

KNOWLEDGE = (
    "品牌：禾木护肤。我们相信复购是信任的回报，不是折扣的回报。"
    "氨基酸洗面奶：早晚各一次，每次黄豆大小，打出泡沫再上脸，三天后皮肤紧绷感会减轻。"
    "保湿面霜：洗脸后三分钟内使用，干皮可以在晚上厚敷。开封后十二个月内用完。"
    "Brand voice: sincere, restrained, no exclamation marks, no discounts, no pressure. "
    "Usage: cleanse twice a day with a pea-sized amount; moisturise within three minutes. "
)
SYSTEM = "你是禾木护肤的客服，写给老朋友的关怀消息。You write sincere care messages.\n" + (
    KNOWLEDGE * 3
)
CUSTOMERS = [
    "小林，三天前买了洗面奶",
    "阿May，上周买了面霜",
    "Lily, bought the cleanser",
    "王姐，会员两年",
]


def _messages(tail: str, system: str = SYSTEM) -> list[ChatMessage]:
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"顾客：{tail}。写一句关心的话。"},
    ]


def _timed(llm: LocalLLM, messages: list[ChatMessage], max_tokens: int) -> Completion:
    return llm.complete(messages, max_tokens=max_tokens, temperature=0.0)


def main() -> None:
    settings = get_settings(llm="local")
    path = model_path(settings)
    if not path.is_file():
        print(f"skipped: no model file at {path} (run `zhenxin model setup`)")
        return
    llm = LocalLLM(settings)
    started = time.perf_counter()
    llm._loaded()
    print(f"model {llm.model}, threads {llm.n_threads}, n_ctx {llm.n_ctx}")
    print(f"load: {time.perf_counter() - started:.2f} s")

    # prompt evaluation: a different first token each time defeats the prefix cache
    prompt_rates = []
    for i in range(2):
        out = _timed(llm, _messages(CUSTOMERS[0], system=f"[{i}] " + SYSTEM), max_tokens=1)
        prompt_rates.append((out.prompt_tokens or 0) / out.seconds)
    print(
        f"prompt eval: {statistics.median(prompt_rates):.1f} tokens/s "
        f"({out.prompt_tokens} prompt tokens, cold)"
    )

    # generation: the same prompt again is fully cached, so the time is (almost) all decoding
    essay: list[ChatMessage] = [
        {"role": "user", "content": "写一篇三百字的文章，介绍护肤的十个步骤。"}
    ]
    _timed(llm, essay, max_tokens=1)
    gen = _timed(llm, essay, max_tokens=32)
    print(
        f"generation: {(gen.completion_tokens or 0) / gen.seconds:.1f} tokens/s "
        f"({gen.completion_tokens} tokens in {gen.seconds:.2f} s, prompt cached "
        f"{gen.cached_prompt_tokens}/{gen.prompt_tokens})"
    )

    # prefix reuse: same long prefix, varying tail
    _timed(llm, essay, max_tokens=1)  # evict the prefix from the KV cache
    # few output tokens: the difference is the prompt evaluation the cache saves
    runs = [_timed(llm, _messages(tail), max_tokens=4) for tail in CUSTOMERS]
    first, rest = runs[0], runs[1:]
    later = statistics.mean(r.seconds for r in rest)
    print(
        f"prefix reuse: first call {first.seconds:.2f} s ({first.prompt_tokens} prompt tokens, "
        f"cached {first.cached_prompt_tokens}); later calls {later:.2f} s "
        f"(cached {[r.cached_prompt_tokens for r in rest]} of {[r.prompt_tokens for r in rest]})"
    )
    print(f"prefix reuse: first / later latency ratio = {first.seconds / later:.1f}x")
