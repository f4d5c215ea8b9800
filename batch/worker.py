"""Entry point of the Dramatiq workers: ``dramatiq batch.worker`` (see ``batch.queue``).

Importing this module binds the global Dramatiq broker to ``ZHENXIN_REDIS_URL`` and declares
both actors on it: batch items (the ``--queue`` runs) and draft jobs (``POST /v1/drafts`` with
``ZHENXIN_JOB_QUEUE=dramatiq``). One worker pool serves both.
"""

from __future__ import annotations

import dramatiq

from batch.queue import declare_actor, make_broker
from core.pii import install_pii_masking
from core.runtime import freeze_startup_objects
from core.settings import get_settings
from drafting.jobs import declare_draft_actor

install_pii_masking()  # worker logs never carry a customer's contact data
broker = make_broker(get_settings().redis_url)
dramatiq.set_broker(broker)
actor = declare_actor(broker)
draft_actor = declare_draft_actor(broker)
freeze_startup_objects()  # each worker process, once its broker and actors are set up
