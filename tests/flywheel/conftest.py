"""Flywheel fixtures: the zh (qingshui) and en (slowbrew) test packs of the batch tests in a
customer store, the fake drafter and knowledge, and a FlywheelService over them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from core.settings import Settings
from drafting.service import DraftingService
from flywheel.service import FlywheelService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.pack import BrandPack
from storage.db import open_database
from tests.batch.conftest import customer, drafter, make_pack, make_service

__all__ = ["customer", "drafter", "make_pack", "make_service"]


@pytest.fixture
def make_flywheel(settings: Settings) -> Callable[..., FlywheelService]:
    _, sessions = open_database(settings)

    def build(*packs: BrandPack) -> FlywheelService:
        drafting = DraftingService(
            settings, sessions=sessions, knowledge=FakeKnowledge(list(packs)), drafter=FakeDrafter()
        )
        for pack in packs:
            drafting.customers.import_many(
                pack.brand.id, pack.customers, brand=pack.brand, source="pack"
            )
        return FlywheelService(drafting)

    return build


def ev(eid: str, cid: str, type_: str, at: str, **kw: Any) -> dict[str, Any]:
    return {"id": eid, "customer_id": cid, "type": type_, "at": at, **kw}


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)
