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
RUNS = 200


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(env="test", demo=True,
                            database_url=f"sqlite:///{Path(folder) / 'bench.db'}")
        app = create_app(settings)
        SQLModel.metadata.create_all(app.state.engine)
        with Session(app.state.engine) as db:
            seed(db)
        with TestClient(app) as client:
            print(f"{'page':<28}{'html kB':>9}{'total kB':>10}{'gzip kB':>9}{'median ms':>11}"
                  f"{'p95 ms':>8}")
            for path in PAGES:
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
