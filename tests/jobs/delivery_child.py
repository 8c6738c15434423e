"""A delivery worker in its own process, for the multi-process and kill -9 tests.

    python -m tests.jobs.delivery_child URL LOG WORKER_ID [--lease S] [--sleep S] [--batch N]
                                        [--ready FILE --go FILE]

Its transport appends `outbox_id worker_id` to LOG, one O_APPEND write per message, so lines from
several processes never interleave and a line written before a kill -9 stays written. The worker
runs until no row is pending or sending any more (rows a killed worker held count: they come
back when their lease runs out), then exits 0.
"""

import argparse
import logging
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.db import make_engine
from bot.models import OutboxMessage
from bot.sessions import session_factory
from jobs.delivery import PENDING, SENDING, DeliveryWorker
from jobs.transports import OutboxMessageView

DEADLINE_SECONDS = 60


class AppendToFileTransport:
    """Delivers by appending the outbox id to a shared file, after `sleep` seconds of 'network'."""

    def __init__(self, path: str, worker_id: str, sleep: float) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.worker_id = worker_id
        self.sleep = sleep

    def send(self, message: OutboxMessageView) -> str | None:
        """Append one line in one write."""
        if self.sleep:
            time.sleep(self.sleep)
        os.write(self.fd, f"{message.id} {self.worker_id}\n".encode())
        return f"{self.worker_id}:{message.id}"


def main() -> None:
    """Parse the arguments, wait for the go signal if asked, deliver until nothing is left."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("worker_id")
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--ready")
    parser.add_argument("--go")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    engine = make_engine(args.url)
    sessions = session_factory(engine)
    worker = DeliveryWorker(
        sessions,
        AppendToFileTransport(args.log, args.worker_id, args.sleep),
        worker_id=args.worker_id,
        batch_size=args.batch,
        lease=timedelta(seconds=args.lease),
        on_dead_letter=lambda session, message, now: None,
    )
    with engine.connect():
        pass  # connect before saying ready, so both workers start on an equal footing
    if args.ready:
        Path(args.ready).touch()
    if args.go:
        while not Path(args.go).exists():
            time.sleep(0.005)

    deadline = time.monotonic() + DEADLINE_SECONDS
    unsettled = select(func.count()).where(OutboxMessage.state.in_([PENDING, SENDING]))
    while time.monotonic() < deadline:
        if worker.step():
            continue
        with sessions() as session:
            if session.scalar(unsettled) == 0:
                break
        time.sleep(0.05)
    else:
        raise SystemExit(f"{args.worker_id}: rows still unsettled after {DEADLINE_SECONDS} s")
    engine.dispose()


if __name__ == "__main__":
    main()
