"""Command line: `python -m app migrate | staff create | demo | expire | export-schema`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from app.db import apply_migrations, close_db, init_db
from app.errors import UserErrors
from app.runtime import Runtime
from app.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the database migrations")
    staff = commands.add_parser("staff", help="staff logins").add_subparsers(
        dest="staff_command", required=True
    )
    create = staff.add_parser("create", help="create a staff login (and its office when new)")
    create.add_argument("--office-code", required=True, help="5 digits, e.g. 13010")
    create.add_argument("--office-name", required=True, help="e.g. 飯田橋公共職業安定所")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    commands.add_parser("demo", help="demo office, staff, establishment and a fresh code")
    commands.add_parser(
        "expire",
        help="end postings past their referral deadline, renewing reserved ones, and write "
        "the notices of what falls due",
    )
    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", default="schema.graphql")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

    if args.command == "export-schema":
        from app.schema import schema

        Path(args.output).write_text(schema.as_str() + "\n", encoding="utf-8")
        return 0
    settings = Settings.from_env()
    if args.command == "migrate":
        asyncio.run(apply_migrations(settings))
        return 0
    return asyncio.run(_with_db(settings, args))


async def _with_db(settings: Settings, args: argparse.Namespace) -> int:
    from app import demo, tasks
    from app.resolvers import accounts

    rt = Runtime.from_settings(settings)
    await init_db(settings)
    try:
        if args.command == "staff":
            user = await accounts.create_staff(
                rt,
                office_code=args.office_code,
                office_name=args.office_name,
                email=args.email,
                password=args.password,
            )
            print(f"staff login {user.email} created for office {args.office_code}")
        elif args.command == "demo":
            print(await demo.load(rt))
        elif args.command == "expire":
            result, due = await tasks.expiry_round(rt)
            print(f"{result.expired} postings expired, {result.renewed} renewed")
            print(
                f"{due.counter_registration} 本登録 notices, {due.result_report} "
                "result report notices written"
            )
    except UserErrors as exc:
        from app.schema.errors import graphql_path  # fields named as the API names them

        for error in exc.errors:
            field = graphql_path(error.field) or "-"
            print(f"error: {field}: {error.message} ({error.code})", file=sys.stderr)
        return 2
    finally:
        await close_db()
    return 0


if __name__ == "__main__":
    sys.exit(main())
