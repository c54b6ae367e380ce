"""Staff logins, created from the command line with their office."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from app.errors import ErrorCode, user_error
from app.models import AuditAction, Office, Portal, User
from app.resolvers import audit, validation
from app.runtime import Runtime
from app.security import hash_password


async def create_staff(
    rt: Runtime, *, office_code: str, office_name: str, email: str, password: str
) -> User:
    """A staff login of an office; the office is created when new."""
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(lambda: validation.password("password", password))
    if not re.fullmatch(r"[0-9]{5}", office_code):
        form.errors.append(
            user_error(
                ErrorCode.INVALID_FORMAT, "安定所番号は半角数字5桁です。", "office_code"
            ).errors[0]
        )
    form.done()
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    async with in_transaction():
        office, _ = await Office.get_or_create(
            code=office_code, defaults={"name": office_name, "created_at": now}
        )
        if await User.exists(portal=Portal.STAFF, email=address):
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
            )
        staff = await User.create(
            portal=Portal.STAFF,
            email=address,
            password_hash=password_hash,
            office_id=office.id,
            created_at=now,
        )
        await audit.record(rt, AuditAction.STAFF_CREATED, subject=staff, via="command_line")
    return staff
