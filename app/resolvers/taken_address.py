"""An address someone asks to register again, or to move a login to: the asker is answered as
for a free address, and only its owner is told, by mail, that it has a login already."""

from __future__ import annotations

from app import outbox
from app.models import Portal
from app.runtime import Runtime

SUBJECT = "マイページ 登録済みのメールアドレスです"
PORTAL_NAMES = {Portal.EMPLOYER: "求人者マイページ", Portal.SEEKER: "求職者マイページ"}


async def tell_owner(rt: Runtime, portal: Portal, address: str, request: str) -> None:
    """Mail the owner of `address` that `request` (e.g. 仮登録のお申し込み) was not taken up;
    call inside the `outbox.transaction` of the request."""
    page = PORTAL_NAMES[portal]
    body = (
        "ハローワークインターネットサービスです。\n"
        f"このメールアドレスで{page}の{request}がありましたが、"
        f"このメールアドレスはすでに{page}に登録されているため、受け付けていません。\n\n"
        "ご本人の操作であれば、登録済みのメールアドレスとパスワードでログインしてください。"
        "パスワードをお忘れの場合は、パスワード再設定の画面から再設定できます。\n"
        "このメールに心当たりのない場合は、破棄してください。\n"
    )
    await outbox.enqueue(rt, address, SUBJECT, body)
