"""The drafting service: one way to request, make, store, re-check and decide a draft.

    service = DraftingService.from_settings(settings)
    record = service.generate("qingshui", DraftRequest(brand="qingshui", kind="care_message",
                                                       customer_id="qs-006"))

Below the HTTP API, the review form, the batch runners and the CLI; above the generator,
the checks, the knowledge base and storage (see DEVELOPERS.md, "Architecture").
"""

from __future__ import annotations

from drafting.customers import CustomerStore
from drafting.jobs import DramatiqQueue, InlineQueue, JobQueue, WorkerPool
from drafting.packs import ingest_pack
from drafting.service import DraftingService, stored_error, with_subject

__all__ = [
    "CustomerStore",
    "DraftingService",
    "DramatiqQueue",
    "InlineQueue",
    "JobQueue",
    "WorkerPool",
    "ingest_pack",
    "stored_error",
    "with_subject",
]
