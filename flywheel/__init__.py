"""The flywheel: what happens after a draft, kept and measured.

Events come in (sent, delivered, replied, purchased, unsubscribed, opted out, complaint, and
being held out of a care batch), idempotent by id; a purchase joins the customer's record, an
unsubscribe or opt-out their consent, a reply its draft. The lifecycle rules move customers up
a stage, saved with why. The core-member score names the few customers who carry the brand
and the tiers they may be invited into. The outcomes report compares contacted customers
with the holdout, with intervals and sample sizes.

Modules: ``events`` (the event model, files, criticism), ``lifecycle`` (stage rules),
``holdout`` (who is held out), ``members`` (core-member score, tiers), ``report`` (outcomes),
``ingest`` (events in: :class:`Ingest`), ``parallel`` (an ingest over several processes),
``service`` (:class:`FlywheelService`, the one door for all of it).
"""

from __future__ import annotations

from flywheel.events import Event, EventType
from flywheel.ingest import IngestResult
from flywheel.service import FlywheelService

__all__ = ["Event", "EventType", "FlywheelService", "IngestResult"]
