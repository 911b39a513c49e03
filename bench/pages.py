"""Page weight and server time for the main pages, in-process. Prints figures; asserts nothing.

    make bench

Page weight is what a phone downloads on a first visit: the HTML plus every stylesheet and script it
links to, raw and gzipped. Server time is the median of repeated renders through the whole middleware
stack, without the network."""

from __future__ import annotations

import gzip
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401
from portal.app import create_app
from portal.demo.service import seed
from portal.settings import Settings

PAGES = ["/", "/help", "/accessibility-statement", "/cookies", "/demo"]
# Signed in as Gareth, who has the most to show: two accounts, two meters, fourteen bills each.
ACCOUNT_PAGES = ["/account", "/account/bills", "/account/bills/B100871-14", "/account/payments",
                 "/account/usage", "/account/cases?show=all", "/account/cases/CS-100871-1"]
RUNS = 200


def sign_in(client: TestClient, persona: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/demo").text)
    assert token
    signed_in = client.post("/demo", data={"persona": persona, "csrf_token": token.group(1)})
    assert signed_in.url.path == "/account", "the demo sign-in did not work"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(env="test", demo=True, base_url="http://testserver",
                            database_url=f"sqlite:///{Path(folder) / 'bench.db'}")
        app = create_app(settings)
        SQLModel.metadata.create_all(app.state.engine)
        with Session(app.state.engine) as db:
            seed(db, settings.time_zone, settings.secret_key)
        with TestClient(app, headers={"Origin": "http://testserver"}) as client:
            print(f"{'page':<28}{'html kB':>9}{'total kB':>10}{'gzip kB':>9}{'median ms':>11}"
                  f"{'p95 ms':>8}")
            for path in [*PAGES, *ACCOUNT_PAGES]:
                if path == ACCOUNT_PAGES[0]:
                    sign_in(client, "gareth")
                html = client.get(path).content
                assets = re.findall(rb'(?:href|src)="(/(?:static/|theme)[^"]+)"', html)
                bodies = [html] + [client.get(a.decode()).content for a in assets]
                total = sum(len(b) for b in bodies)
                zipped = sum(len(gzip.compress(b)) for b in bodies)
                timings = []
                for _ in range(RUNS):
                    start = time.perf_counter()
                    client.get(path)
                    timings.append((time.perf_counter() - start) * 1000)
                timings.sort()
                print(f"{path:<28}{len(html) / 1024:>9.1f}{total / 1024:>10.1f}"
                      f"{zipped / 1024:>9.1f}{statistics.median(timings):>11.2f}"
                      f"{timings[int(RUNS * 0.95)]:>8.2f}")
        app.state.engine.dispose()


if __name__ == "__main__":
    main()
