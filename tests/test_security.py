"""Password hashing runs off the event loop, and a burst of hashes leaves a core free."""

from __future__ import annotations

import asyncio
import threading
import time

from app import security


async def test_at_most_bcrypt_threads_hashes_run_at_once() -> None:
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

    await asyncio.gather(
        *(security._off_the_loop(work) for _ in range(security.BCRYPT_THREADS + 3))
    )

    assert most == security.BCRYPT_THREADS
    assert loop_thread not in threads


async def test_concurrent_hashes_each_verify_their_own_password() -> None:
    passwords = [f"Employer#pass{i}" for i in range(4)]

    hashes = await asyncio.gather(*(security.hash_password(p, 10) for p in passwords))

    assert len(set(hashes)) == 4
    for password, hashed in zip(passwords, hashes, strict=True):
        assert await security.verify_password(password, hashed, rounds=10)
        assert not await security.verify_password(password + "x", hashed, rounds=10)
