"""Entry point of the Dramatiq workers: ``dramatiq batch.worker`` (see ``batch.queue``).

Importing this module binds the global Dramatiq broker to ``ZHENXIN_REDIS_URL`` and declares
the batch actor on it; the workers then draft the items the ``--queue`` runs send.
"""

from __future__ import annotations

import dramatiq

from batch.queue import declare_actor, make_broker
from core.settings import get_settings

broker = make_broker(get_settings().redis_url)
dramatiq.set_broker(broker)
actor = declare_actor(broker)
