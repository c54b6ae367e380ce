"""Logins, sessions, the employer account opening (求人者マイページ開設) and the login's own
settings: added logins, forgotten password, email change, lockout, withdrawal (退会)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

from app import models
from app.errors import NotAuthenticated, UserErrors
from app.resolvers import accounts
from app.schema.context import DEVICE_COOKIE, SESSION_COOKIE, Context, Info
from app.schema.errors import UserError, user_errors
from app.schema.establishments import Establishment, Office
from app.schema.nodes import decode_id, visible_nodes
from app.schema.permissions import IsEmployer

EMPLOYER_LOGIN_TYPE = "EmployerLogin"

strawberry.enum(models.Portal, description="Which My Page: 職員, 求人者 or 求職者.")
Portal = models.Portal


@strawberry.type(description="A logged-in session. Send `Authorization: Bearer <token>`.")
class Session:
    token: str = strawberry.field(description="Opaque; shown once, stored only as a hash.")
    expires_at: dt.datetime


@strawberry.type(description="A one-time password was mailed; answer with `loginVerifyOtp`.")
class OtpChallenge:
    id: strawberry.ID
    expires_at: dt.datetime


@strawberry.type(description="This device may skip the one-time password until `expiresAt`.")
class RememberedDevice:
    token: str = strawberry.field(description="Send as `deviceToken` to `login`; shown once.")
    expires_at: dt.datetime


@strawberry.type(description="Who is logged in.")
class Viewer:
    portal: Portal
    email: str
    establishment_id: strawberry.Private[int | None]
    office_id: strawberry.Private[int | None]

    @strawberry.field(description="The employer's establishment.")
    async def establishment(self, info: Info) -> Establishment | None:
        if self.establishment_id is None:
            return None
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    @strawberry.field(description="Staff: their office. Employers: the jurisdiction office.")
    async def office(self, info: Info) -> Office | None:
        office_id = self.office_id
        if office_id is None and self.establishment_id is not None:
            establishment = await info.context.loaders.establishment_by_id.load(
                self.establishment_id
            )
            office_id = establishment.office_id
        if office_id is None:
            return None
        return Office.from_model(await info.context.loaders.office_by_id.load(office_id))


def _viewer(user: models.User) -> Viewer:
    return Viewer(
        portal=user.portal,
        email=user.email,
        establishment_id=user.establishment_id,
        office_id=user.office_id,
    )


@strawberry.type(description="A login of the viewer's establishment (up to 10).")
class EmployerLogin(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="After removal, the address it had.")
    created_at: dt.datetime
    last_login_at: dt.datetime | None = strawberry.field(description="Null until first login.")
    locked_until: dt.datetime | None = strawberry.field(
        description="Set while locked after 5 wrong passwords in a row."
    )
    is_viewer: bool = strawberry.field(description="This is the viewer's own login.")
    active: bool = strawberry.field(
        description="有効: false once the login withdrew (退会) or another login removed it."
    )
    withdrawn_at: dt.datetime | None = strawberry.field(
        description="退会: when the login withdrew or was removed; null while active."
    )

    @classmethod
    def from_model(cls, user: models.User, *, viewer_id: int | None, now: dt.datetime) -> Self:
        locked = user.locked_until is not None and now < user.locked_until
        return cls(
            id=user.id,
            email=user.former_email if not user.is_active and user.former_email else user.email,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            locked_until=user.locked_until if locked else None,
            is_viewer=user.id == viewer_id,
            active=user.is_active,
            withdrawn_at=user.withdrawn_at,
        )

    @strawberry.field(description="Locked now (ログイン停止中).")
    def locked(self) -> bool:
        return self.locked_until is not None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        viewer_id = viewer.user.id if viewer.user else None
        now = info.context.rt.clock.now()
        return await visible_nodes(
            node_ids,
            lambda ids: accounts.visible_logins(viewer, ids),
            lambda user: cls.from_model(user, viewer_id=viewer_id, now=now),
        )


@strawberry.type(description="An invitation mailed by `employerLoginAdd`, not yet accepted.")
class EmployerLoginInvitation:
    email: str
    created_at: dt.datetime
    expires_at: dt.datetime = strawberry.field(description="24 hours after it was mailed.")

    @classmethod
    def from_model(cls, invitation: models.MailedKey) -> Self:
        return cls(
            email=invitation.email,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The logged-in user, or null.")
    def viewer(self, info: Info) -> Viewer | None:
        user = info.context.viewer.user
        if user is None:
            return None
        return _viewer(user)

    @strawberry.field(
        description="Employers: the active logins of their establishment (at most 10)."
    )
    async def employer_logins(self, info: Info) -> list[EmployerLogin]:
        ctx = info.context
        logins = await accounts.establishment_logins(ctx.viewer)
        viewer_id = ctx.viewer.user.id if ctx.viewer.user else None
        now = ctx.rt.clock.now()
        return [EmployerLogin.from_model(u, viewer_id=viewer_id, now=now) for u in logins]

    @strawberry.field(
        description="Employers: invitations not yet accepted; they count towards the 10 logins."
    )
    async def employer_login_invitations(self, info: Info) -> list[EmployerLoginInvitation]:
        pending = await accounts.pending_invitations(info.context.rt, info.context.viewer)
        return [EmployerLoginInvitation.from_model(row) for row in pending]


@strawberry.input
class LoginInput:
    portal: Portal
    email: str
    password: str
    device_token: str | None = strawberry.field(
        default=None,
        description=(
            "From an earlier `loginVerifyOtp` with `rememberDevice`; browsers send a cookie."
        ),
    )


@strawberry.type
class LoginPayload:
    session: Session | None = strawberry.field(
        default=None, description="Set when this device is remembered: no OTP needed."
    )
    otp_challenge: OtpChallenge | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class LoginVerifyOtpInput:
    challenge_id: strawberry.ID
    otp: str = strawberry.field(description="The 6 digits from the mail.")
    remember_device: bool = strawberry.field(
        default=False, description="Skip the one-time password on this device for 30 days."
    )


@strawberry.type
class LoginVerifyOtpPayload:
    session: Session | None = None
    remembered_device: RememberedDevice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="パスワード登録申込 (the leaflet's step 4).")
class EmployerRegistrationRequestInput:
    email: str = strawberry.field(description="Half-width, up to 100 characters.")
    email_confirmation: str
    establishment_number: str = strawberry.field(description="事業所番号 NNNN-NNNNNN-N.")
    phone_number: str = strawberry.field(description="Three groups of half-width digits.")
    account_creation_code: str = strawberry.field(description="Up to 10 half-width characters.")
    agreed_privacy_policy_version: str
    agreed_terms_version: str


@strawberry.type
class EmployerRegistrationRequestPayload:
    auth_key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The mailed 認証キー is valid until then (50 minutes)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="パスワード登録 (the leaflet's step 5).")
class EmployerRegistrationCompleteInput:
    email: str
    auth_key: str = strawberry.field(description="認証キー from the mail.")
    password: str = strawberry.field(
        description="8 to 32 half-width characters with letters, digits and symbols."
    )
    password_confirmation: str


@strawberry.type
class EmployerRegistrationCompletePayload:
    establishment: Establishment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="ログイン追加: invite another login of the establishment by mail.")
class EmployerLoginAddInput:
    email: str = strawberry.field(description="Half-width, up to 100 characters.")


@strawberry.type
class EmployerLoginAddPayload:
    invitation: EmployerLoginInvitation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Open the invited login with the 認証キー from the invitation.")
class EmployerInvitationAcceptInput:
    email: str
    key: str = strawberry.field(description="認証キー from the invitation mail.")
    password: str = strawberry.field(
        description="8 to 32 half-width characters with letters, digits and symbols."
    )
    password_confirmation: str


@strawberry.type
class EmployerInvitationAcceptPayload:
    establishment: Establishment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Remove a login of the establishment; its sessions end at once.")
class EmployerLoginRemoveInput:
    user_id: relay.GlobalID = strawberry.field(description="An `EmployerLogin` ID.")


@strawberry.type
class EmployerLoginRemovePayload:
    login: EmployerLogin | None = strawberry.field(default=None, description="As removed.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Forgotten password: mail a 認証キー valid 50 minutes.")
class PasswordResetRequestInput:
    portal: Portal = strawberry.field(description="EMPLOYER or SEEKER.")
    email: str


@strawberry.type(
    description="The same answer whether or not the address has a login (no enumeration)."
)
class PasswordResetRequestPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Set a new password with the mailed 認証キー.")
class PasswordResetCompleteInput:
    portal: Portal
    email: str
    key: str
    password: str = strawberry.field(
        description="8 to 32 half-width characters with letters, digits and symbols."
    )
    password_confirmation: str


@strawberry.type(description="On success every session of the login has ended; log in again.")
class PasswordResetCompletePayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Change the login's email: a key goes to the new address.")
class EmailChangeRequestInput:
    new_email: str
    password: str = strawberry.field(description="The current password, checked again.")


@strawberry.type
class EmailChangeRequestPayload:
    key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The key mailed to the new address is valid until then."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Confirm the new email with the key mailed to it.")
class EmailChangeConfirmInput:
    key: str


@strawberry.type
class EmailChangeConfirmPayload:
    viewer: Viewer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Lift a lockout with the 解除キー mailed when it began.")
class LoginUnlockInput:
    email: str
    key: str


@strawberry.type
class LoginUnlockPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="退会: the current password, checked again.")
class AccountWithdrawInput:
    password: str


@strawberry.type(description="On success the login is closed and every session has ended.")
class AccountWithdrawPayload:
    withdrawn_at: dt.datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _session(ctx: Context, new: accounts.NewSession) -> Session:
    max_age = int((new.record.expires_at - ctx.rt.clock.now()).total_seconds())
    ctx.set_cookie(SESSION_COOKIE, new.token, max_age=max_age)
    return Session(token=new.token, expires_at=new.record.expires_at)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Password step of login; mails a one-time password.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        try:
            result = await accounts.login(
                ctx.rt,
                portal=input.portal,
                email=input.email,
                password=input.password,
                device_token=input.device_token or ctx.request.cookies.get(DEVICE_COOKIE),
                client=ctx.client_address,
            )
        except UserErrors as exc:
            return LoginPayload(errors=user_errors(exc))
        if result.session is not None:
            return LoginPayload(session=_session(ctx, result.session))
        assert result.otp_challenge is not None
        return LoginPayload(
            otp_challenge=OtpChallenge(
                id=strawberry.ID(str(result.otp_challenge.id)),
                expires_at=result.otp_challenge.expires_at,
            )
        )

    @strawberry.mutation(description="One-time password step of login; opens the session.")
    async def login_verify_otp(
        self, info: Info, input: LoginVerifyOtpInput
    ) -> LoginVerifyOtpPayload:
        ctx = info.context
        try:
            verified = await accounts.verify_otp(
                ctx.rt,
                challenge_id=str(input.challenge_id),
                otp=input.otp,
                remember_device=input.remember_device,
                client=ctx.client_address,
            )
        except UserErrors as exc:
            return LoginVerifyOtpPayload(errors=user_errors(exc))
        remembered = None
        if verified.device_token is not None and verified.device_expires_at is not None:
            ctx.set_cookie(
                DEVICE_COOKIE,
                verified.device_token,
                max_age=ctx.rt.settings.remembered_device_days * 24 * 3600,
            )
            remembered = RememberedDevice(
                token=verified.device_token, expires_at=verified.device_expires_at
            )
        return LoginVerifyOtpPayload(
            session=_session(ctx, verified.session), remembered_device=remembered
        )

    @strawberry.mutation(description="End the current session at once.")
    async def logout(self, info: Info) -> LogoutPayload:
        ctx = info.context
        if ctx.viewer.session is None:
            raise NotAuthenticated
        await accounts.logout(ctx.rt, ctx.viewer)
        ctx.delete_cookie(SESSION_COOKIE)
        return LogoutPayload()

    @strawberry.mutation(
        description="パスワード登録申込: check the counter's code and mail a 認証キー."
    )
    async def employer_registration_request(
        self, info: Info, input: EmployerRegistrationRequestInput
    ) -> EmployerRegistrationRequestPayload:
        try:
            registration = await accounts.request_employer_registration(
                info.context.rt,
                email=input.email,
                email_confirmation=input.email_confirmation,
                establishment_number=input.establishment_number,
                phone_number=input.phone_number,
                account_creation_code=input.account_creation_code,
                agreed_privacy_policy_version=input.agreed_privacy_policy_version,
                agreed_terms_version=input.agreed_terms_version,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return EmployerRegistrationRequestPayload(errors=user_errors(exc))
        return EmployerRegistrationRequestPayload(auth_key_expires_at=registration.expires_at)

    @strawberry.mutation(
        description="パスワード登録: set the password with the 認証キー; opens My Page."
    )
    async def employer_registration_complete(
        self, info: Info, input: EmployerRegistrationCompleteInput
    ) -> EmployerRegistrationCompletePayload:
        try:
            user = await accounts.complete_employer_registration(
                info.context.rt,
                email=input.email,
                auth_key=input.auth_key,
                password=input.password,
                password_confirmation=input.password_confirmation,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return EmployerRegistrationCompletePayload(errors=user_errors(exc))
        establishment = await models.Establishment.get(id=user.establishment_id)
        return EmployerRegistrationCompletePayload(
            establishment=Establishment.from_model(establishment)
        )

    @strawberry.mutation(
        description="ログイン追加: mail an invitation valid 24 hours (10 logins at most).",
        permission_classes=[IsEmployer],
    )
    async def employer_login_add(
        self, info: Info, input: EmployerLoginAddInput
    ) -> EmployerLoginAddPayload:
        ctx = info.context
        try:
            invitation = await accounts.invite_login(ctx.rt, ctx.viewer, email=input.email)
        except UserErrors as exc:
            return EmployerLoginAddPayload(errors=user_errors(exc))
        return EmployerLoginAddPayload(invitation=EmployerLoginInvitation.from_model(invitation))

    @strawberry.mutation(description="Open an invited login with its key and a password.")
    async def employer_invitation_accept(
        self, info: Info, input: EmployerInvitationAcceptInput
    ) -> EmployerInvitationAcceptPayload:
        try:
            user = await accounts.accept_invitation(
                info.context.rt,
                email=input.email,
                key=input.key,
                password=input.password,
                password_confirmation=input.password_confirmation,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return EmployerInvitationAcceptPayload(errors=user_errors(exc))
        establishment = await models.Establishment.get(id=user.establishment_id)
        return EmployerInvitationAcceptPayload(
            establishment=Establishment.from_model(establishment)
        )

    @strawberry.mutation(
        description="Remove a login of the establishment; not the last one.",
        permission_classes=[IsEmployer],
    )
    async def employer_login_remove(
        self, info: Info, input: EmployerLoginRemoveInput
    ) -> EmployerLoginRemovePayload:
        ctx = info.context
        try:
            user_id = decode_id(input.user_id, EMPLOYER_LOGIN_TYPE, "userId")
            removed = await accounts.remove_login(ctx.rt, ctx.viewer, user_id=user_id)
        except UserErrors as exc:
            return EmployerLoginRemovePayload(errors=user_errors(exc))
        viewer_id = ctx.viewer.user.id if ctx.viewer.user else None
        return EmployerLoginRemovePayload(
            login=EmployerLogin.from_model(removed, viewer_id=viewer_id, now=ctx.rt.clock.now())
        )

    @strawberry.mutation(description="Forgotten password: mail a key if the address has a login.")
    async def password_reset_request(
        self, info: Info, input: PasswordResetRequestInput
    ) -> PasswordResetRequestPayload:
        try:
            await accounts.request_password_reset(
                info.context.rt,
                portal=input.portal,
                email=input.email,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return PasswordResetRequestPayload(errors=user_errors(exc))
        return PasswordResetRequestPayload()

    @strawberry.mutation(description="Set a new password with the mailed key; sessions end.")
    async def password_reset_complete(
        self, info: Info, input: PasswordResetCompleteInput
    ) -> PasswordResetCompletePayload:
        try:
            await accounts.complete_password_reset(
                info.context.rt,
                portal=input.portal,
                email=input.email,
                key=input.key,
                password=input.password,
                password_confirmation=input.password_confirmation,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return PasswordResetCompletePayload(errors=user_errors(exc))
        return PasswordResetCompletePayload()

    @strawberry.mutation(description="Mail a key to the new address (password checked again).")
    async def email_change_request(
        self, info: Info, input: EmailChangeRequestInput
    ) -> EmailChangeRequestPayload:
        ctx = info.context
        try:
            row = await accounts.request_email_change(
                ctx.rt, ctx.viewer, new_email=input.new_email, password=input.password
            )
        except UserErrors as exc:
            return EmailChangeRequestPayload(errors=user_errors(exc))
        return EmailChangeRequestPayload(key_expires_at=row.expires_at)

    @strawberry.mutation(description="Switch to the new address; a notice goes to the old one.")
    async def email_change_confirm(
        self, info: Info, input: EmailChangeConfirmInput
    ) -> EmailChangeConfirmPayload:
        ctx = info.context
        try:
            user = await accounts.confirm_email_change(ctx.rt, ctx.viewer, key=input.key)
        except UserErrors as exc:
            return EmailChangeConfirmPayload(errors=user_errors(exc))
        return EmailChangeConfirmPayload(viewer=_viewer(user))

    @strawberry.mutation(description="Lift a lockout early with the mailed 解除キー.")
    async def login_unlock(self, info: Info, input: LoginUnlockInput) -> LoginUnlockPayload:
        try:
            await accounts.unlock_login(
                info.context.rt,
                email=input.email,
                key=input.key,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return LoginUnlockPayload(errors=user_errors(exc))
        return LoginUnlockPayload()

    @strawberry.mutation(description="退会: close the viewer's login; every session ends.")
    async def account_withdraw(
        self, info: Info, input: AccountWithdrawInput
    ) -> AccountWithdrawPayload:
        ctx = info.context
        try:
            user = await accounts.withdraw(ctx.rt, ctx.viewer, password=input.password)
        except UserErrors as exc:
            return AccountWithdrawPayload(errors=user_errors(exc))
        ctx.delete_cookie(SESSION_COOKIE)
        return AccountWithdrawPayload(withdrawn_at=user.withdrawn_at)
