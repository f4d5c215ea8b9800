"""``zhenxin serve`` (the HTTP API under uvicorn) and ``zhenxin keys create/list/revoke``."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import print_json
from core.errors import ConfigError
from core.settings import get_settings
from storage.keys import Role

keys_app = typer.Typer(
    help="API keys: one brand and one role each, stored hashed.", no_args_is_help=True
)


def _sessions():  # type: ignore[no-untyped-def]
    from storage.db import open_database

    _engine, sessions = open_database(get_settings())
    return sessions


@keys_app.command("create")
def keys_create(
    brand: Annotated[str, typer.Option(help="the brand id the key belongs to")],
    role: Annotated[Role, typer.Option(help="operator | editor | admin")] = Role.OPERATOR,
    name: Annotated[str, typer.Option(help="a label, e.g. who uses it")] = "",
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    import re

    from knowledge.pack import ID_PATTERN

    if not re.match(ID_PATTERN, brand):
        raise ConfigError(f"invalid brand id {brand!r}", hint="lowercase letters, digits, - and _")
    from storage.keys import create_key

    with _sessions().begin() as session:
        new = create_key(session, brand, role, name=name)
    if json_out:
        print_json(
            {
                "key": new.secret,
                "prefix": new.info.prefix,
                "brand": brand,
                "role": new.info.role.value,
                "name": name,
            }
        )
        return
    print(new.secret)
    typer.echo(
        f"brand {brand}, role {new.info.role.value}, prefix {new.info.prefix} — "
        "shown once, store it now",
        err=True,
    )


@keys_app.command("list")
def keys_list(
    brand: Annotated[str | None, typer.Option(help="only this brand's keys")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List keys (prefix, brand, role, revoked); never the keys themselves."""
    from storage.keys import list_keys

    with _sessions().begin() as session:
        rows = list_keys(session, brand)
    data = [
        {
            "prefix": r.info.prefix,
            "brand": r.info.brand,
            "role": r.info.role.value,
            "name": r.info.name,
            "revoked": r.revoked,
            "created_at": r.created_at.isoformat(),
            "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
        }
        for r in rows
    ]
    if json_out:
        print_json(data)
        return
    for d in data:
        state = "revoked" if d["revoked"] else "active"
        print(f"{d['prefix']}  {d['brand']}  {d['role']}  {state}  {d['name']}")


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="the key's prefix (keys list)")],
) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    from storage.keys import revoke_key

    with _sessions().begin() as session:
        info = revoke_key(session, prefix)
    print(f"revoked {info.prefix} ({info.brand}, {info.role.value})")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api.main import create_app

    settings = get_settings()
    app = create_app(settings)  # fails early (bad settings, database) before binding the port
    if workers > 1:  # each worker builds its own app from the environment
        app.state.engine.dispose()
        uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers)
    else:
        uvicorn.run(app, host=host, port=port)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``keys`` to the main app."""
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
