"""The `portal` command."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import typer
import uvicorn
from sqlmodel import Session

from portal import db as database
from portal import logs
from portal.settings import ROOT, Settings, variable_name, warn_about_old_names
from portal.vapid import generate as generate_vapid_keys

app = typer.Typer(help="Run and look after the customer portal.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DEMO_DATABASE = ROOT / "demo.db"
# Signed-in pages keep a live-updates stream open; on shutdown, give requests this long to finish,
# then close the streams (browsers reconnect to another process) rather than wait for them forever.
GRACEFUL_SHUTDOWN_SECONDS = 3


def start_logging(settings: Settings) -> None:
    """Set up logs as the settings say, then warn about any old setting names in use."""
    logs.setup(settings.log_format, settings.log_level)
    warn_about_old_names()


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, proxy_headers: bool = False) -> None:
    """Serve the portal with the settings from PORTAL_* environment variables."""
    from portal.app import create_app

    settings = Settings()
    start_logging(settings)
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=proxy_headers,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, log_config=None)


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000, database_file: Path = DEMO_DATABASE) -> None:
    """Start again with a fresh demo database full of sample people, then serve it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database_file}{suffix}").unlink(missing_ok=True)
    os.environ["PORTAL_DEMO"] = "1"
    os.environ["PORTAL_DATABASE_URL"] = f"sqlite:///{database_file}"
    # Forms check the Origin, so it must match the address people browse to.
    os.environ.setdefault("PORTAL_BASE_URL", f"http://localhost:{port}")
    settings = Settings()  # Refuses demo mode in production, and one VAPID key without the other.
    if not settings.push.available:
        # Throwaway keys, so notifications work in the demo (a fresh demo forgets every device anyway).
        keys = generate_vapid_keys()
        settings = Settings(push=settings.push.model_copy(
            update={"vapid_public_key": keys.public, "vapid_private_key": keys.private}))
    start_logging(settings)
    database.upgrade(settings.database_url)
    seed_demo(settings)
    typer.echo(f"Demo ready at http://localhost:{port} (choose a person at /demo)")
    from portal.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, log_config=None)


def seed_demo(settings: Settings) -> None:
    from portal.demo.service import seed

    with Session(database.make_engine(settings.database_url)) as session:
        seed(session, settings.time_zone, settings.secret_key)


@app.command()
def vapid() -> None:
    """Make a new key pair for web push (notifications) and print the settings to use it."""
    keys = generate_vapid_keys()
    typer.echo(f"{variable_name('push', 'vapid_public_key')}={keys.public}")
    typer.echo(f"{variable_name('push', 'vapid_private_key')}={keys.private}")
    typer.echo("# Keep the private key secret. A new pair means every device must turn notifications on "
               "again.", err=True)


@app.command()
def purge() -> None:
    """Remove expired sessions, challenges, codes and rate-limit records now."""
    from portal.housekeeping import end_quiet_screen_shares, purge_expired

    settings = Settings()
    removed = purge_expired(database.make_engine(settings.database_url), settings)
    typer.echo(", ".join(f"{count} {name.replace('_', ' ')}" for name, count in removed.items())
               + " removed.")
    ended = end_quiet_screen_shares(database.make_engine(settings.database_url), settings)
    typer.echo(f"{ended} screen shares ended.")


@app.command()
def worker(once: bool = typer.Option(False, "--once", help="Do one pass, then stop.")) -> None:
    """Deliver updates, email and text messages until stopped (Ctrl+C). Run as many as you like."""
    import asyncio
    import signal

    from anyio import to_thread

    from portal.broker import make_broker
    from portal.updates.worker import run_forever, run_once

    settings = Settings()
    start_logging(settings)
    engine = database.make_engine(settings.database_url)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        broker = make_broker(settings)
        await broker.start()
        try:
            if once:
                counts = await to_thread.run_sync(run_once, engine, settings, broker)
                typer.echo(", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items()))
            else:
                await run_forever(engine, settings, broker)
        finally:
            await broker.close()
            engine.dispose()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the database up to date."""
    database.upgrade(Settings().database_url, revision)
    typer.echo("Database is up to date.")


if __name__ == "__main__":
    app()
