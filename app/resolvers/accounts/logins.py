"""The logins of an establishment, at most ten: listed, added by a mailed invitation, removed,
and how a login closes (removed or withdrawn)."""

from __future__ import annotations

import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import outbox
from app.errors import ErrorCode, user_error
from app.japanese import tokyo_minute
from app.models import (
    AuditAction,
    Establishment,
    EstablishmentPreRegistration,
    Portal,
    RememberedDevice,
    TermsAgreement,
    User,
)
from app.models.accounts import MailedKey, MailedKeyPurpose
from app.models.counter import PreRegistrationStatus
from app.resolvers import audit, keys, validation
from app.resolvers.accounts.sessions import end_sessions, sessions_ended
from app.runtime import Runtime
from app.security import hash_password
from app.terms import TermsKind
from app.throttle import Action
from app.viewer import Viewer

LOGINS_PER_ESTABLISHMENT = 10
INVITATION_TTL = dt.timedelta(hours=24)

INVITATION_MAIL_SUBJECT = "求人者マイページ ログイン追加のご案内"


async def check_login_limit(establishment_id: int) -> None:
    logins = await User.filter(establishment_id=establishment_id, is_active=True).count()
    if logins >= LOGINS_PER_ESTABLISHMENT:
        raise user_error(
            ErrorCode.LOGIN_LIMIT_REACHED,
            f"1事業所に登録できるログインは{LOGINS_PER_ESTABLISHMENT}件までです。",
        )


async def check_email_free(address: str) -> None:
    if await User.exists(portal=Portal.EMPLOYER, email=address):
        raise user_error(
            ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
        )


async def establishment_logins(viewer: Viewer) -> list[User]:
    """The active logins of the employer's establishment, oldest first."""
    employer = viewer.require_employer()
    return await User.filter(
        establishment_id=employer.establishment_id, portal=Portal.EMPLOYER, is_active=True
    ).order_by("created_at", "id")


async def visible_logins(viewer: Viewer, ids: list[int]) -> dict[int, User]:
    """Logins of the viewer's establishment among `ids`; employers see only their own."""
    user = viewer.user
    if user is None or user.portal != Portal.EMPLOYER:
        return {}
    found = await User.filter(
        id__in=ids,
        establishment_id=user.establishment_id,
        portal=Portal.EMPLOYER,
        is_active=True,
    )
    return {login.id: login for login in found}


async def pending_invitations(rt: Runtime, viewer: Viewer) -> list[MailedKey]:
    """Invitations of the establishment not yet accepted and not expired; they hold a seat."""
    employer = viewer.require_employer()
    return await _pending_invitations(rt, employer.establishment_id).order_by("created_at", "id")


async def visible_invitations(rt: Runtime, viewer: Viewer, ids: list[int]) -> dict[int, MailedKey]:
    """The invitations among `ids` that `pending_invitations` lists for the viewer: those of
    their establishment still pending, to its employers; none to anyone else."""
    user = viewer.user
    if user is None or user.portal != Portal.EMPLOYER:
        return {}
    found = await _pending_invitations(rt, user.establishment_id).filter(id__in=ids)
    return {invitation.id: invitation for invitation in found}


def _pending_invitations(rt: Runtime, establishment_id: int | None) -> QuerySet[MailedKey]:
    return MailedKey.filter(
        purpose=MailedKeyPurpose.LOGIN_INVITATION,
        establishment_id=establishment_id,
        closed_at__isnull=True,
        expires_at__gt=rt.clock.now(),
    )


async def invite_login(rt: Runtime, viewer: Viewer, *, email: str) -> MailedKey:
    """Mail an invitation (a key valid 24 hours) to open another login of the establishment.

    Active logins and pending invitations together may not pass 10; accepting checks the
    active logins again. A newer invitation to the same address replaces the older one.
    """
    employer = viewer.require_employer()
    establishment_id = employer.establishment_id
    assert establishment_id is not None
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.done()

    async with outbox.transaction(rt):
        # Serialise invitations and openings of one establishment so the limit holds.
        establishment = await Establishment.select_for_update().get(id=establishment_id)
        await check_email_free(address)
        logins = await User.filter(establishment_id=establishment_id, is_active=True).count()
        invited = await _pending_invitations(rt, establishment_id).exclude(email=address).count()
        if logins + invited >= LOGINS_PER_ESTABLISHMENT:
            raise user_error(
                ErrorCode.LOGIN_LIMIT_REACHED,
                f"1事業所に登録できるログインは{LOGINS_PER_ESTABLISHMENT}件までです"
                "（承認待ちの招待を含みます）。",
                "email",
            )
        row, key = await keys.new_key(
            rt,
            keys.LOGIN_INVITATION,
            expires_at=rt.clock.now() + INVITATION_TTL,
            supersedes={"email": address},
            email=address,
            establishment_id=establishment_id,
            created_by_id=employer.id,
        )
        await audit.record(rt, AuditAction.LOGIN_INVITED, actor=employer, invitation=row.id)
        expires = tokyo_minute(row.expires_at)
        body = (
            "ハローワークインターネットサービスです。\n"
            f"{establishment.name} 様の求人者マイページに、このメールアドレスのログインを追加する"
            "招待が届きました。\n\n"
            f"認証キー: {key}\n\n"
            f"認証キーの有効期限は {expires} （メール配信から24時間以内）です。\n"
            "ログイン追加画面で、このメールアドレス、認証キー、パスワードを入力してください。\n"
            "このメールに心当たりのない場合は、破棄してください。\n"
        )
        await outbox.enqueue(rt, row.email, INVITATION_MAIL_SUBJECT, body)
    return row


async def accept_invitation(
    rt: Runtime,
    *,
    email: str,
    key: str,
    password: str,
    password_confirmation: str,
    client: str | None = None,
) -> User:
    """Open the invited login with its password; the 10-login limit is checked again."""
    await rt.throttle.hit(Action.INVITATION_ACCEPT, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(lambda: validation.password("password", password))
    form.check(
        lambda: validation.confirmation(
            "password_confirmation", password_confirmation, password, "パスワード"
        )
    )
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.done()

    invitation = await keys.open_key(rt, keys.LOGIN_INVITATION, checked_key, email=address)
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    establishment_id = invitation.establishment_id
    assert establishment_id is not None  # every invitation is to an establishment
    async with in_transaction():
        await Establishment.select_for_update().get(id=establishment_id)
        await check_login_limit(establishment_id)
        await check_email_free(address)
        await keys.claim_key(keys.LOGIN_INVITATION, invitation, now)
        try:
            user = await User.create(
                portal=Portal.EMPLOYER,
                email=address,
                password_hash=password_hash,
                establishment_id=establishment_id,
                created_at=now,
            )
        except IntegrityError as exc:
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
            ) from exc
        await _keep_pre_registration_terms(user)
        await audit.record(
            rt,
            AuditAction.LOGIN_ADDED,
            actor=user,
            subject=user,
            client=client,
            invitation=invitation.id,
        )
    return user


async def _keep_pre_registration_terms(user: User) -> None:
    """The first login of an establishment registered online (事業所の仮登録, confirmed by
    staff) agreed to the terms when it entered the registration: keep that agreement as its
    own, as an account opened with a code keeps the one of its application."""
    entry = await EstablishmentPreRegistration.get_or_none(
        establishment_id=user.establishment_id,
        email=user.email,
        status=PreRegistrationStatus.CONFIRMED,
    )
    if entry is None:
        return
    await TermsAgreement.bulk_create(
        [
            TermsAgreement(
                user_id=user.id,
                kind=kind,
                version=version,
                agreed_at=entry.agreed_at,
            )
            for kind, version in (
                (TermsKind.PRIVACY_POLICY, entry.privacy_policy_version),
                (TermsKind.TERMS_OF_USE, entry.terms_of_use_version),
            )
        ]
    )


async def remove_login(rt: Runtime, viewer: Viewer, *, user_id: int) -> User:
    """Remove a login of the viewer's establishment (their own too); its sessions end at once.

    The establishment's last active login cannot be removed.
    """
    employer = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        # Serialised per establishment: two logins removing each other leave one.
        await Establishment.select_for_update().get(id=employer.establishment_id)
        target = await User.get_or_none(
            id=user_id,
            portal=Portal.EMPLOYER,
            establishment_id=employer.establishment_id,
            is_active=True,
        )
        if target is None:
            raise user_error(ErrorCode.NOT_FOUND, "指定されたログインが見つかりません。", "user_id")
        await check_not_last_login(target)
        ended = await close_login(target, now, removed_by_id=employer.id)
        await audit.record(rt, AuditAction.LOGIN_REMOVED, actor=employer, subject=target)
    await sessions_ended(rt, ended)
    return target


async def check_not_last_login(user: User) -> None:
    others = (
        await User.filter(establishment_id=user.establishment_id, is_active=True)
        .exclude(id=user.id)
        .count()
    )
    if others == 0:
        raise user_error(
            ErrorCode.LAST_ACTIVE_LOGIN,
            "事業所の最後のログインは削除できません。"
            "先に別のログインを追加するか、ハローワークの窓口にご相談ください。",
        )


def _withdrawn_email(user: User) -> str:
    """Stands in for the address of a closed login: without '@', no address can equal it."""
    return f"withdrawn:{user.id}"


async def close_login(user: User, now: dt.datetime, *, removed_by_id: int | None) -> list[int]:
    """Withdraw or remove a login: its records stay, its sessions and keys end at once.
    The ids of the sessions it ended, for `sessions_ended` once committed."""
    former_email = user.email
    await User.filter(id=user.id).update(
        is_active=False,
        withdrawn_at=now,
        email=_withdrawn_email(user),
        former_email=former_email,
        removed_by_id=removed_by_id,
        failed_logins=0,
        locked_until=None,
    )
    ended = await end_sessions(user.id, now)
    await MailedKey.filter(user_id=user.id, closed_at__isnull=True).update(closed_at=now)
    await RememberedDevice.filter(user_id=user.id).delete()
    user.is_active = False
    user.withdrawn_at = now
    user.email = _withdrawn_email(user)
    user.former_email = former_email
    user.removed_by_id = removed_by_id
    return ended
