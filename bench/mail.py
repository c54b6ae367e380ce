"""Mail through SMTP in process: `python -m bench.mail`.

`app.mail.SmtpMailer` sends `--mails` mails one after another, as the outbox worker does, to
an aiosmtpd server on loopback in a thread of this process (no TLS, no AUTH: what is left is
the SMTP dialogue itself). Reported per mail: the wall-clock time and this process's CPU time
(the server's share included), and how many connections the mailer opened after the warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.mail import SmtpMailer

MAILS = 300
WARM_UP = 5
SUBJECT = "求人者マイページ 新着メッセージのお知らせ"
BODY = "ハローワークインターネットサービスです。\n求職者から新しいメッセージが届いています。\n"


class _Accepting:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 Message accepted for delivery"


async def measure(port: int, mails: int) -> dict[str, Any]:
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", "noreply@hellowork.example.jp")
    for _ in range(WARM_UP):
        await mailer.send("hr@example.jp", SUBJECT, BODY)
    # A tree before the kept connection (`--against`-style runs with PYTHONPATH) counts none.
    opened = getattr(mailer, "connections", None)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(mails):
        await mailer.send("hr@example.jp", SUBJECT, BODY)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if opened is not None:
        await mailer.close()
    return {
        "mails": mails,
        "wall_ms_per_mail": round(wall / mails * 1000, 3),
        "cpu_ms_per_mail": round(cpu / mails * 1000, 3),
        "mails_per_second": round(mails / wall, 1),
        "connections": None if opened is None else mailer.connections - opened,
    }


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import free_port, machine, save_report

    parser = argparse.ArgumentParser(prog="python -m bench.mail", description=__doc__)
    parser.add_argument("--mails", type=int, default=MAILS)
    args = parser.parse_args(argv)
    port = free_port()
    controller = Controller(_Accepting(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        found = asyncio.run(measure(port, args.mails))
    finally:
        controller.stop()
    print(
        f"  {found['mails']} mails: {found['wall_ms_per_mail']:.2f} ms each "
        f"({found['mails_per_second']}/s), {found['cpu_ms_per_mail']:.2f} ms CPU, "
        + (
            f"{found['connections']} connection(s) opened after the warm-up"
            if found["connections"] is not None
            else "a connection per mail"
        )
    )
    report = {"machine": machine(), "args": vars(args), "smtp": found}
    print(f"results: {save_report(report, 'mail')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
