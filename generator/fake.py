"""A drafter without a model or knowledge base, for tests and demos of everything around the
pipeline (jobs, batches, review): it writes a short draft from the request itself.

    drafter = FakeDrafter()
    drafter.fail_when = lambda request: request.customer_id == "c2"   # a failing item
    drafter.die_after = 3                                              # a killed process

Satisfies :class:`generator.pipeline.Drafter`, like ``Pipeline``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence

from evals.types import Verdict
from generator.drafts import ContentKind, Draft, DraftRequest, Plan
from generator.exemplars import Exemplar
from knowledge.pack import Channel, Customer


class FakeDrafter:
    def __init__(self, *, verdict: Verdict = Verdict.PASS, delay: float = 0.0) -> None:
        self.verdict = verdict
        self.delay = delay  # seconds each draft takes (a slow model)
        self.calls: list[DraftRequest] = []
        self.customers: list[Customer | None] = []
        self.fail_when: Callable[[DraftRequest], bool] = lambda _r: False
        self.die_after: int | None = None  # raise KeyboardInterrupt after this many drafts
        self.release = threading.Event()  # set it to let drafts through when ``hold`` is on
        self.hold = False
        self.lock = threading.Lock()

    def draft(
        self,
        request: DraftRequest,
        *,
        customer: Customer | None = None,
        as_of: dt.date | None = None,
        exemplars: Sequence[Exemplar] = (),
    ) -> Draft:
        with self.lock:
            if self.die_after is not None and len(self.calls) >= self.die_after:
                raise KeyboardInterrupt("killed mid-batch")
            self.calls.append(request)
            self.customers.append(customer)
        if self.hold:
            self.release.wait(30)
        if self.delay:
            threading.Event().wait(self.delay)
        if self.fail_when(request):
            from core.errors import ProviderError

            raise ProviderError("the model timed out")
        who = customer.id if customer else request.customer_id
        email = request.channel == Channel.EMAIL or request.kind == ContentKind.AFTERSALE_EMAIL
        topic = request.theme or request.trigger or request.kind.value
        body = f"{topic}：你好，{who or request.tier}。"
        stage = customer.stage if customer else "getting_to_know"
        channel = str(request.channel or ("email" if email else "wechat"))
        return Draft(
            kind=request.kind,
            brand=request.brand,
            customer=who,
            stage=stage,
            trigger=str(request.trigger or ""),
            channel=channel,
            text=(f"关怀提醒\n\n{body}" if email else body),
            subject="关怀提醒" if email else None,
            title=request.theme if request.kind == ContentKind.COMMUNITY_POST else None,
            body=body,
            verdict=self.verdict,
            score=0.9,
            provider="fake",
            model="fake-drafter",
            template="fake",
            template_hash="0",
            plan=Plan(
                stage=stage,
                stage_name=stage,
                trigger=str(request.trigger or ""),
                channel=channel,
                goal="fake",
                kind=request.kind.value,
            ),
        )


__all__ = ["FakeDrafter"]
