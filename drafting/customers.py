"""The one customer store every door reads: the ``customers`` table, with the contact log
merged in.

Pack ingest (CLI or API), ``POST /v1/customers``, inline customers sent with a draft request
and batch planning all go through :class:`CustomerStore`; nothing reads customers from a pack
snapshot.

Consent is one authoritative record per customer: the append-only history in
``storage.consent`` (what, when, who, from where, why); its newest change holds, and
``Customer.opted_out`` shows it. Anyone may record an opt-out — an ingest, an upsert, an
event, an operator. Only :meth:`CustomerStore.set_consent` lifts one, for an admin with a
reason. An ingest or an upsert that says ``opted_out: false`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import (
    NotFoundError,
    PackError,
    PackProblem,
    PermissionDeniedError,
    RefusedError,
    ZhenxinError,
)
from knowledge.loader import resolve_stage
from knowledge.pack import Brand, Customer
from knowledge.stages import DEFAULT_STAGES, stage_alias
from storage import consent, contacts
from storage import customers as rows
from storage.bulk import refresh_statistics
from storage.consent import ConsentChange
from storage.models import CustomerRow

IMPORT_CHUNK = 500  # customers read and written together by import_many


def stage_id(brand: Brand | None, value: str) -> str:
    """The stage id for ``value`` (id, zh/en name or alias) in the brand's stages (or the
    five defaults); an invalid-input error (422) naming the choices otherwise."""
    if brand is not None:
        resolved = resolve_stage(brand, value)
        ids = [s.id for s in brand.stages]
    else:
        ids = [s.id for s in DEFAULT_STAGES]
        alias = stage_alias(value)
        resolved = alias if alias in ids else None
    if resolved is None:
        problem = PackProblem(
            "customer", "stage", f"unknown stage {value!r}", hint="one of " + ", ".join(ids)
        )
        raise PackError([problem])
    return resolved


class CustomerStore:
    """Customers of every brand (see the module docstring). Each method is one transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- reads -----------------------------------------------------------------------------
    def find(self, brand_id: str, customer_id: str) -> Customer | None:
        """The stored customer with every logged contact merged in and the consent that
        holds, or None."""
        with self.sessions() as s:
            customer = rows.find_customer(s, brand_id, customer_id)
            if customer is None:
                return None
            held = consent.current(s, brand_id, customer_id)
            if held is not None:
                customer = customer.model_copy(update={"opted_out": held == consent.OPTED_OUT})
            return contacts.with_history(s, brand_id, customer)

    def get(self, brand_id: str, customer_id: str) -> Customer:
        customer = self.find(brand_id, customer_id)
        if customer is None:
            raise NotFoundError(f"brand {brand_id!r} has no customer {customer_id!r}")
        return customer

    def page(self, brand_id: str, *, limit: int = 100, offset: int = 0) -> list[Customer]:
        with self.sessions() as s:
            return rows.list_customers(s, brand_id, limit=limit, offset=offset)

    def iter_all(self, brand_id: str, *, chunk: int = 500) -> Iterator[Customer]:
        """Every customer of the brand in id order, read ``chunk`` at a time (memory stays
        bounded; no read stays open between chunks)."""
        last = ""
        while True:
            with self.sessions() as s:
                batch = rows.customer_page(s, brand_id, after=last, limit=chunk)
            if not batch:
                return
            for _, data in batch:
                yield Customer.model_validate_json(data)
            last = batch[-1][0]

    def names(self, brand_id: str, customer_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        with self.sessions() as s:
            found = s.execute(
                select(CustomerRow.customer_id, CustomerRow.data).where(
                    CustomerRow.brand_id == brand_id, CustomerRow.customer_id.in_(ids)
                )
            )
            return {cid: str(data.get("name") or cid) for cid, data in found}

    # --- consent ---------------------------------------------------------------------------
    def require_contactable(self, brand_id: str, customer_id: str) -> None:
        """RefusedError if the customer opted out (an unknown id is not refused here)."""
        customer = self.find(brand_id, customer_id)
        if customer is not None and customer.opted_out:
            raise _refused(customer_id)

    def opted_out(self, brand_id: str, customer_ids: Iterable[str]) -> set[str]:
        """Which of these customers opted out now (one query; for batches and exports)."""
        ids = set(customer_ids)
        with self.sessions() as s:
            out = consent.opted_out(s, brand_id, ids)
            recorded = {cid for cid in ids if consent.current(s, brand_id, cid) is not None}
            for cid in ids - recorded:  # customers whose data predates the history
                stored = rows.find_customer(s, brand_id, cid)
                if stored is not None and stored.opted_out:
                    out.add(cid)
            return out

    def consent_history(self, brand_id: str, customer_id: str) -> list[ConsentChange]:
        self.get(brand_id, customer_id)  # NotFoundError for an unknown customer
        with self.sessions() as s:
            return consent.history(s, brand_id, customer_id)

    def set_consent(
        self,
        brand_id: str,
        customer_id: str,
        *,
        opted_out: bool,
        actor: str,
        admin: bool,
        reason: str = "",
        source: str = "api",
    ) -> Customer:
        """Record a consent change. Anyone may record an opt-out; lifting one needs an admin
        and a reason (both kept in the history)."""
        self.get(brand_id, customer_id)
        if not opted_out:
            if not admin:
                raise PermissionDeniedError(
                    "only an admin may lift an opt-out", hint="ask an admin key to do it"
                )
            if not reason.strip():
                raise ZhenxinError(
                    "lifting an opt-out needs a reason",
                    hint="say when and how the customer agreed again",
                )
        status = consent.OPTED_OUT if opted_out else consent.OPTED_IN
        with self.sessions.begin() as s:
            consent.record(
                s, brand_id, customer_id, status, actor=actor, source=source, reason=reason.strip()
            )
            stored = rows.find_customer(s, brand_id, customer_id)
            assert stored is not None
            rows.upsert_customer(
                s, brand_id, stored.model_copy(update={"opted_out": opted_out}), source=source
            )
        return self.get(brand_id, customer_id)

    # --- writes ----------------------------------------------------------------------------
    def upsert(
        self,
        brand_id: str,
        customer: Customer,
        *,
        brand: Brand | None,
        source: str = "api",
        actor: str = "",
    ) -> tuple[Customer, bool]:
        """Add or replace one customer (its stage resolved against the brand's stages).
        An opt-out it carries is recorded; one on record stays (see the module docstring)."""
        customer = customer.model_copy(update={"stage": stage_id(brand, customer.stage)})
        with self.sessions.begin() as s:
            return self._upsert(s, brand_id, customer, source, actor or source)

    def import_many(
        self,
        brand_id: str,
        customers: Iterable[Customer],
        *,
        brand: Brand | None,
        source: str,
        actor: str = "ingest",
    ) -> int:
        """Add or replace many customers in one transaction (pack ingest); keeps opt-outs.
        Exactly :meth:`upsert` for each, but read and written ``IMPORT_CHUNK`` at a time."""
        count = 0
        chunk: list[Customer] = []
        analyze_at = 4 * IMPORT_CHUNK
        with self.sessions.begin() as s:
            for customer in customers:
                chunk.append(customer.model_copy(update={"stage": stage_id(brand, customer.stage)}))
                if len(chunk) >= IMPORT_CHUNK:
                    count += len(self._upsert_chunk(s, brand_id, chunk, source, actor))
                    chunk = []
                    if count >= analyze_at:  # statistics as the table grows: 4x each time
                        refresh_statistics(s, CustomerRow.__table__)  # type: ignore[arg-type]
                        analyze_at *= 4
            count += len(self._upsert_chunk(s, brand_id, chunk, source, actor))
        return count

    @staticmethod
    def _upsert_chunk(
        s: Session, brand_id: str, chunk: Sequence[Customer], source: str, actor: str
    ) -> list[tuple[Customer, bool]]:
        """Add or replace each customer of ``chunk`` in order (an opt-out it carries is
        recorded, one on record stays), with two queries for the chunk (the consent that
        holds, the stored rows) and one flush. Each customer as stored, and whether new."""
        if not chunk:
            return []
        ids = [c.id for c in chunk]
        held_by_id: dict[str, str | None] = dict(consent.current_many(s, brand_id, ids))
        stored = rows.held(s, brand_id, ids)
        out = []
        final: dict[str, Customer] = {}  # the last record of each customer, to write
        for customer in chunk:
            held = held_by_id.get(customer.id)
            if held is None:  # no history yet: a stored flag from before it still counts
                row = stored.get(customer.id)
                held = consent.OPTED_OUT if row is not None and row.opted_out else None
            if customer.opted_out and held != consent.OPTED_OUT:
                consent.record(
                    s,
                    brand_id,
                    customer.id,
                    consent.OPTED_OUT,
                    actor=actor,
                    source=source,
                    reason="opted out, as the customer record says",
                )
                held = held_by_id[customer.id] = consent.OPTED_OUT
            customer = customer.model_copy(update={"opted_out": held == consent.OPTED_OUT})
            out.append((customer, customer.id not in stored and customer.id not in final))
            final[customer.id] = customer
        rows.write(
            s,
            brand_id,
            new=[c for cid, c in final.items() if cid not in stored],
            changed=[(stored[cid].pk, c) for cid, c in final.items() if cid in stored],
            source=source,
        )
        s.flush()
        return out

    @classmethod
    def _upsert(
        cls, s: Session, brand_id: str, customer: Customer, source: str, actor: str
    ) -> tuple[Customer, bool]:
        return cls._upsert_chunk(s, brand_id, [customer], source, actor)[0]

    def resolve(
        self,
        brand_id: str,
        *,
        customer_id: str | None,
        inline: Customer | None,
        brand: Brand | None,
    ) -> Customer | None:
        """The customer a draft is for. An inline customer updates the stored record (its
        data; never its consent) or becomes a stored customer, so consent and contacts always
        have one home; the result carries the contact log. RefusedError if they opted out."""
        if inline is not None:
            self.upsert(brand_id, inline, brand=brand, source="inline")
            customer_id = inline.id
        if not customer_id:
            return None
        customer = self.get(brand_id, customer_id)
        if customer.opted_out:
            raise _refused(customer_id)
        return customer


def _refused(customer_id: str) -> RefusedError:
    return RefusedError(
        f"customer {customer_id!r} opted out: no drafts for them",
        hint="opted-out customers get nothing; an admin may lift an opt-out with a reason",
    )


__all__ = ["CustomerStore", "stage_id"]
