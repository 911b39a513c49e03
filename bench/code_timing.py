"""How long asking for a sign-in code takes for someone we know and for someone we do not, over real
HTTP to a real server. Prints medians; asserts nothing.

    python -m bench.code_timing [--rounds 150]

The attack in issue 17 measured known identifiers 12-25% slower (median of 150 + 150 interleaved
requests), because the code was made and queued inside the request. Now the request only notes what
was asked for, and the code is made after the answer, so the two should take the same time.

`portal serve` (uvicorn, one process; the worker off, as with `portal worker` processes,
so its scans do not land in the timings) runs on a seeded SQLite database. After a few rounds to warm
up, each round sends a request for a known and an unknown identifier, in turn (which goes first
alternates), each from a browser with no cookies. Untimed between requests: fetching the form (for
its CSRF token), clearing the rate-limit records (so limits do not answer instead), and a short pause
so the work after one answer does not land in the next."""

from __future__ import annotations

import argparse
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401
from portal.db import make_engine
from portal.demo.service import seed

PAIRS = [("email", "sam@example.org", "nobody@example.org"),
         ("customer reference", "NF-101502", "NF-999999")]
PAUSE_SECONDS = 0.05
WARM_UP_ROUNDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PORTAL_ENV": "test", "PORTAL_DATABASE_URL": f"sqlite:///{database}",
           "PORTAL_BASE_URL": f"http://127.0.0.1:{port}", "PORTAL_LOG_LEVEL": "WARNING",
           "PORTAL_WORKER__RUN": "0"}
    server = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", "--port", str(port)],  # noqa: S603 (our own command)
                              env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the portal did not start")


def timed_request(client: httpx.Client, database: sqlite3.Connection, identifier: str) -> float:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert token, "no form on /sign-in"
    database.execute("DELETE FROM rate_limit_hit")
    database.commit()
    start = time.perf_counter()
    response = client.post("/sign-in", data={"csrf_token": token.group(1), "identifier": identifier})
    took = (time.perf_counter() - start) * 1000
    assert response.status_code == 303, response.status_code
    time.sleep(PAUSE_SECONDS)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        engine = make_engine(f"sqlite:///{database}")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as db:
            seed(db)
        engine.dispose()
        port = free_port()
        server = start_server(database, port)
        try:
            records = sqlite3.connect(database, timeout=30)
            origin = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=origin, headers={"Origin": origin},
                              follow_redirects=False) as client:
                print(f"{rounds} + {rounds} interleaved requests to POST /sign-in, median ms")
                print(f"{'identifier':<20}{'known':>9}{'unknown':>9}{'known - unknown':>18}")
                for kind, known, unknown in PAIRS:
                    times: dict[str, list[float]] = {known: [], unknown: []}
                    for round_number in range(WARM_UP_ROUNDS + rounds):
                        order = (known, unknown) if round_number % 2 else (unknown, known)
                        for identifier in order:
                            took = timed_request(client, records, identifier)
                            if round_number >= WARM_UP_ROUNDS:
                                times[identifier].append(took)
                    known_ms, unknown_ms = (statistics.median(times[known]),
                                            statistics.median(times[unknown]))
                    print(f"{kind:<20}{known_ms:>9.2f}{unknown_ms:>9.2f}"
                          f"{(known_ms - unknown_ms) / unknown_ms:>+17.1%}")
            records.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
