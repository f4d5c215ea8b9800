"""API keys of the key's brand (admins): create (shown once), list, revoke."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminKey, SessionDep
from storage import keys as repo

router = APIRouter(prefix="/v1/keys", tags=["keys"])
ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "no key"},
    403: {"description": "needs admin"},
    404: {"description": "unknown prefix (or another brand's)"},
}


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: repo.Role = repo.Role.OPERATOR
    name: str = Field(default="", max_length=100)


class KeyOut(BaseModel):
    prefix: str
    brand: str
    role: str
    name: str
    revoked: bool = False
    created_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


class NewKeyOut(KeyOut):
    key: str = Field(description="the whole key; shown this once, only its hash is stored")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewKeyOut, responses=ERRORS)
def create_key(body: KeyCreate, key: AdminKey, session: SessionDep) -> NewKeyOut:
    new = repo.create_key(session, key.brand, body.role, name=body.name)
    session.commit()
    return NewKeyOut(
        prefix=new.info.prefix,
        brand=key.brand,
        role=new.info.role.value,
        name=body.name,
        key=new.secret,
    )


@router.get("", response_model=list[KeyOut], responses=ERRORS)
def list_keys(key: AdminKey, session: SessionDep) -> list[KeyOut]:
    return [
        KeyOut(
            prefix=k.info.prefix,
            brand=k.info.brand,
            role=k.info.role.value,
            name=k.info.name,
            revoked=k.revoked,
            created_at=k.created_at,
            last_used_at=k.last_used_at,
        )
        for k in repo.list_keys(session, key.brand)
    ]


@router.delete("/{prefix}", response_model=KeyOut, responses=ERRORS)
def revoke_key(prefix: str, key: AdminKey, session: SessionDep) -> KeyOut:
    info = repo.revoke_key(session, prefix, brand_id=key.brand)
    session.commit()
    return KeyOut(
        prefix=info.prefix, brand=info.brand, role=info.role.value, name=info.name, revoked=True
    )
