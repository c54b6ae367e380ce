"""Password hashing and image decoding run off the event loop, and a burst of either
leaves a core free."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app import security
from app.resolvers import images
from app.threads import CORES, ThreadLimit


@pytest.mark.parametrize(
    "limit", [security.BCRYPT_WORK, images.IMAGE_DECODING], ids=["bcrypt", "images"]
)
async def test_at_most_the_limit_of_threads_run_at_once(limit: ThreadLimit) -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.get_ident())
        time.sleep(0.05)
        with lock:
            running -= 1

    await asyncio.gather(*(limit.run(work) for _ in range(limit.size + 3)))

    assert most == limit.size == max(1, CORES - 1)
    assert loop_thread not in threads


async def test_concurrent_hashes_each_verify_their_own_password() -> None:
    passwords = [f"Employer#pass{i}" for i in range(4)]

    hashes = await asyncio.gather(*(security.hash_password(p, 10) for p in passwords))

    assert len(set(hashes)) == 4
    for password, hashed in zip(passwords, hashes, strict=True):
        assert await security.verify_password(password, hashed, rounds=10)
        assert not await security.verify_password(password + "x", hashed, rounds=10)
