"""Logins, sessions, the employer account opening (求人者マイページ開設) and the login's own
settings: added logins, forgotten password, email change, lockout, withdrawal (退会)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Self

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.errors import NotAuthenticated, UserErrors
from app.resolvers import accounts
from app.schema.context import DEVICE_COOKIE, SESSION_COOKIE, Context, Info
from app.schema.errors import ERRORS, UserError, user_errors
from app.schema.establishments import Establishment, Office
from app.schema.nodes import decode_id, row_id, visible_nodes
from app.schema.permissions import IsEmployer

EMPLOYER_LOGIN_TYPE = "EmployerLogin"
OTP_CHALLENGE_TYPE = "OtpChallenge"

describe.enum(
    models.Portal,
    description="ポータル (which My Page a login belongs to): 職員, 求人者 or 求職者.",
)
Portal = models.Portal

NEW_PASSWORDS_RULE = (
    "パスワード (password), required: 8 to 32 half-width characters with letters, digits and "
    "symbols, all three."
)
EMAIL_RULE = "メールアドレス (email), required: half-width, up to 100 characters."


@strawberry.type(
    description=(
        "セッション (a logged-in session). Send `Authorization: Bearer <token>`; browsers get "
        "it as a cookie too."
    )
)
class Session:
    token: str = strawberry.field(description="Opaque; shown once, stored only as a hash.")
    expires_at: dt.datetime = strawberry.field(
        description=(
            "The latest the session lasts (12 hours after the login by default); it ends "
            "earlier after 30 minutes without a request."
        )
    )


@strawberry.type(
    description=(
        "ワンタイムパスワード (a one-time password) was mailed; answer with `loginVerifyOtp`. "
        "Not readable by `node`: only the login that asked holds its ID."
    )
)
class OtpChallenge:
    id: strawberry.ID = strawberry.field(
        description="Its global ID: send it as `loginVerifyOtp`'s `challengeId`."
    )
    expires_at: dt.datetime = strawberry.field(
        description="The one-time password is valid until then (10 minutes by default)."
    )


def otp_challenge_id(challenge_id: str) -> str:
    """The challenge's own id (a UUID) behind `challengeId`: the global ID `OtpChallenge.id`,
    or the UUID itself, which `id` held before it was a global ID."""
    try:
        global_id = relay.GlobalID.from_id(challenge_id)
    except Exception:  # strawberry raises several kinds for what is not base64
        return challenge_id
    return global_id.node_id if global_id.type_name == OTP_CHALLENGE_TYPE else challenge_id


@strawberry.type(
    description="This device may skip the one-time password until `expiresAt` (記憶した端末)."
)
class RememberedDevice:
    token: str = strawberry.field(description="Send as `deviceToken` to `login`; shown once.")
    expires_at: dt.datetime = strawberry.field(
        description="The device is remembered until then (30 days by default)."
    )


@strawberry.type(
    description=("ログイン中の利用者 (who is logged in). Readable by `node` for that login only.")
)
class Viewer(relay.Node):
    id: relay.NodeID[int]
    portal: Portal = strawberry.field(description="ポータル (which My Page the login is of).")
    email: str = strawberry.field(description="メールアドレス (the login's email).")
    establishment_id: strawberry.Private[int | None]
    office_id: strawberry.Private[int | None]

    @strawberry.field(description="The employer's establishment (事業所); null for others.")
    async def establishment(self, info: Info) -> Establishment | None:
        if self.establishment_id is None:
            return None
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    @strawberry.field(
        description=(
            "Staff: their office. Employers: the jurisdiction office (管轄安定所). Null for "
            "seekers."
        )
    )
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

    @classmethod
    def from_model(cls, user: models.User) -> Self:
        return cls(
            id=user.id,
            portal=user.portal,
            email=user.email,
            establishment_id=user.establishment_id,
            office_id=user.office_id,
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        user = info.context.viewer.user
        return [
            cls.from_model(user) if user is not None and row_id(node_id) == user.id else None
            for node_id in node_ids
        ]


@strawberry.type(
    description=(
        "A login of the viewer's establishment (ログイン; up to 10). Readable by `node` for "
        "the establishment's employers while active; staff read them in `Establishment.logins`."
    )
)
class EmployerLogin(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(
        description="メールアドレス (its email); after removal or 退会, the address it had."
    )
    created_at: dt.datetime = strawberry.field(description="登録日時 (when the login opened).")
    last_login_at: dt.datetime | None = strawberry.field(
        description="最終ログイン日時 (last login); null until the first."
    )
    locked_until: dt.datetime | None = strawberry.field(
        description="Set while locked (30 minutes after 5 wrong passwords in a row)."
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


@strawberry.type(
    description=(
        "ログイン追加の招待 (an invitation mailed by `employerLoginAdd`), not yet accepted. "
        "Readable by `node` for the establishment's employers while it is pending."
    )
)
class EmployerLoginInvitation(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="メールアドレス (the address invited).")
    created_at: dt.datetime = strawberry.field(description="招待日時 (when it was mailed).")
    expires_at: dt.datetime = strawberry.field(description="24 hours after it was mailed.")

    @classmethod
    def from_model(cls, invitation: models.MailedKey) -> Self:
        return cls(
            id=invitation.id,
            email=invitation.email,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ctx = info.context
        return await visible_nodes(
            node_ids,
            lambda ids: accounts.visible_invitations(ctx.rt, ctx.viewer, ids),
            cls.from_model,
        )


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The logged-in user, or null.")
    def viewer(self, info: Info) -> Viewer | None:
        user = info.context.viewer.user
        if user is None:
            return None
        return Viewer.from_model(user)

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


@strawberry.input(description="ログイン (login), the password step.")
class LoginInput:
    portal: Portal = strawberry.field(description="ポータル (which My Page to log in to).")
    email: str = strawberry.field(description="メールアドレス (the login's email).")
    password: str = strawberry.field(
        description="パスワード (password); a wrong one counts towards the lock (5 in a row)."
    )
    device_token: str | None = strawberry.field(
        default=None,
        description=(
            "From an earlier `loginVerifyOtp` with `rememberDevice`; browsers send a cookie."
        ),
    )


@strawberry.type(
    description="The answer to `login`: a session on a remembered device, else a challenge."
)
class LoginPayload:
    session: Session | None = strawberry.field(
        default=None, description="Set when this device is remembered: no OTP needed."
    )
    otp_challenge: OtpChallenge | None = strawberry.field(
        default=None, description="Set when a one-time password was mailed."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="ワンタイムパスワード (the one-time password step of login).")
class LoginVerifyOtpInput:
    challenge_id: strawberry.ID = strawberry.field(
        description=(
            "`OtpChallenge.id` from `login` (the challenge's UUID alone is still accepted, "
            "as before it was a global ID)."
        )
    )
    otp: str = strawberry.field(description="The 6 digits from the mail.")
    remember_device: bool = strawberry.field(
        default=False, description="Skip the one-time password on this device for 30 days."
    )


@strawberry.type(description="The answer to `loginVerifyOtp`.")
class LoginVerifyOtpPayload:
    session: Session | None = strawberry.field(
        default=None, description="The session opened; null on errors."
    )
    remembered_device: RememberedDevice | None = strawberry.field(
        default=None, description="Set when `rememberDevice` was asked for."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `logout`.")
class LogoutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="パスワード登録申込 (the leaflet's step 4).")
class EmployerRegistrationRequestInput:
    email: str = strawberry.field(description=EMAIL_RULE)
    email_confirmation: str = strawberry.field(
        description="メールアドレス（確認用）: the same address again."
    )
    establishment_number: str = strawberry.field(
        description="事業所番号 (establishment number), required: half-width NNNN-NNNNNN-N."
    )
    phone_number: str = strawberry.field(
        description=(
            "電話番号 (the establishment's phone number), required: three groups of "
            "half-width digits."
        )
    )
    account_creation_code: str = strawberry.field(
        description=(
            "アカウント作成コード (account creation code) from the counter, required: up to 10 "
            "half-width characters."
        )
    )
    agreed_privacy_policy_version: str = strawberry.field(
        description="The version of the privacy policy agreed to (`termsDocuments`); the current."
    )
    agreed_terms_version: str = strawberry.field(
        description="The version of the terms of use agreed to (`termsDocuments`); the current."
    )


@strawberry.type(description="The answer to `employerRegistrationRequest`.")
class EmployerRegistrationRequestPayload:
    auth_key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The mailed 認証キー is valid until then (50 minutes)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="パスワード登録 (the leaflet's step 5).")
class EmployerRegistrationCompleteInput:
    email: str = strawberry.field(description="The address the 認証キー was mailed to.")
    auth_key: str = strawberry.field(description="認証キー from the mail (half-width).")
    password: str = strawberry.field(description=NEW_PASSWORDS_RULE)
    password_confirmation: str = strawberry.field(
        description="パスワード（確認用）: the same password again."
    )


@strawberry.type(description="The answer to `employerRegistrationComplete`: My Page is open.")
class EmployerRegistrationCompletePayload:
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment the new login belongs to."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="ログイン追加: invite another login of the establishment by mail.")
class EmployerLoginAddInput:
    email: str = strawberry.field(description=EMAIL_RULE)


@strawberry.type(description="The answer to `employerLoginAdd`.")
class EmployerLoginAddPayload:
    invitation: EmployerLoginInvitation | None = strawberry.field(
        default=None, description="The invitation mailed."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Open the invited login with the 認証キー from the invitation.")
class EmployerInvitationAcceptInput:
    email: str = strawberry.field(description="The address invited.")
    key: str = strawberry.field(description="認証キー from the invitation mail.")
    password: str = strawberry.field(description=NEW_PASSWORDS_RULE)
    password_confirmation: str = strawberry.field(
        description="パスワード（確認用）: the same password again."
    )


@strawberry.type(description="The answer to `employerInvitationAccept`: the login is open.")
class EmployerInvitationAcceptPayload:
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment the new login belongs to."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Remove a login of the establishment; its sessions end at once.")
class EmployerLoginRemoveInput:
    user_id: relay.GlobalID = strawberry.field(
        description="An `EmployerLogin` ID of the viewer's establishment (their own too)."
    )


@strawberry.type(description="The answer to `employerLoginRemove`.")
class EmployerLoginRemovePayload:
    login: EmployerLogin | None = strawberry.field(default=None, description="As removed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Forgotten password: mail a 認証キー valid 50 minutes.")
class PasswordResetRequestInput:
    portal: Portal = strawberry.field(description="EMPLOYER or SEEKER; STAFF is refused.")
    email: str = strawberry.field(description=EMAIL_RULE)


@strawberry.type(
    description="The same answer whether or not the address has a login (no enumeration)."
)
class PasswordResetRequestPayload:
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Set a new password with the mailed 認証キー.")
class PasswordResetCompleteInput:
    portal: Portal = strawberry.field(description="EMPLOYER or SEEKER, as in the request.")
    email: str = strawberry.field(description="The address the key was mailed to.")
    key: str = strawberry.field(description="認証キー from the mail (half-width).")
    password: str = strawberry.field(description=NEW_PASSWORDS_RULE)
    password_confirmation: str = strawberry.field(
        description="パスワード（確認用）: the same password again."
    )


@strawberry.type(description="On success every session of the login has ended; log in again.")
class PasswordResetCompletePayload:
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Change the login's email: a key goes to the new address.")
class EmailChangeRequestInput:
    new_email: str = strawberry.field(
        description="新しいメールアドレス (the new email): half-width, up to 100 characters."
    )
    password: str = strawberry.field(description="The current password, checked again.")


@strawberry.type(description="The answer to `emailChangeRequest`.")
class EmailChangeRequestPayload:
    key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The key mailed to the new address is valid until then."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Confirm the new email with the key mailed to it.")
class EmailChangeConfirmInput:
    key: str = strawberry.field(description="認証キー from the mail to the new address.")


@strawberry.type(description="The answer to `emailChangeConfirm`.")
class EmailChangeConfirmPayload:
    viewer: Viewer | None = strawberry.field(
        default=None, description="The viewer, with the new address."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Lift a lockout with the 解除キー mailed when it began.")
class LoginUnlockInput:
    email: str = strawberry.field(description="The locked login's email.")
    key: str = strawberry.field(description="解除キー from the lockout mail (half-width).")


@strawberry.type(description="The answer to `loginUnlock`: the login may log in again.")
class LoginUnlockPayload:
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="退会: the current password, checked again.")
class AccountWithdrawInput:
    password: str = strawberry.field(description="The current password.")


@strawberry.type(description="On success the login is closed and every session has ended.")
class AccountWithdrawPayload:
    withdrawn_at: dt.datetime | None = strawberry.field(
        default=None, description="退会日時 (when the login closed)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


def _session(ctx: Context, new: accounts.NewSession) -> Session:
    max_age = int((new.record.expires_at - ctx.rt.clock.now()).total_seconds())
    ctx.set_cookie(SESSION_COOKIE, new.token, max_age=max_age)
    return Session(token=new.token, expires_at=new.record.expires_at)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Password step of login; mails a one-time password.")
    async def login(
        self,
        info: Info,
        input: Annotated[
            LoginInput, strawberry.argument(description="Who logs in and the password.")
        ],
    ) -> LoginPayload:
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
                id=strawberry.ID(relay.to_base64(OTP_CHALLENGE_TYPE, result.otp_challenge.id)),
                expires_at=result.otp_challenge.expires_at,
            )
        )

    @strawberry.mutation(description="One-time password step of login; opens the session.")
    async def login_verify_otp(
        self,
        info: Info,
        input: Annotated[
            LoginVerifyOtpInput,
            strawberry.argument(description="The challenge and the one-time password."),
        ],
    ) -> LoginVerifyOtpPayload:
        ctx = info.context
        try:
            verified = await accounts.verify_otp(
                ctx.rt,
                challenge_id=otp_challenge_id(str(input.challenge_id)),
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
        self,
        info: Info,
        input: Annotated[
            EmployerRegistrationRequestInput,
            strawberry.argument(
                description="The application: address, establishment, code and terms."
            ),
        ],
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
        self,
        info: Info,
        input: Annotated[
            EmployerRegistrationCompleteInput,
            strawberry.argument(description="The address, the mailed key and the password."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            EmployerLoginAddInput, strawberry.argument(description="The address to invite.")
        ],
    ) -> EmployerLoginAddPayload:
        ctx = info.context
        try:
            invitation = await accounts.invite_login(ctx.rt, ctx.viewer, email=input.email)
        except UserErrors as exc:
            return EmployerLoginAddPayload(errors=user_errors(exc))
        return EmployerLoginAddPayload(invitation=EmployerLoginInvitation.from_model(invitation))

    @strawberry.mutation(description="Open an invited login with its key and a password.")
    async def employer_invitation_accept(
        self,
        info: Info,
        input: Annotated[
            EmployerInvitationAcceptInput,
            strawberry.argument(description="The address, the invitation's key and the password."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            EmployerLoginRemoveInput, strawberry.argument(description="The login to remove.")
        ],
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
        self,
        info: Info,
        input: Annotated[
            PasswordResetRequestInput,
            strawberry.argument(description="The portal and the address."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            PasswordResetCompleteInput,
            strawberry.argument(description="The address, the mailed key and the new password."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            EmailChangeRequestInput,
            strawberry.argument(description="The new address and the current password."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            EmailChangeConfirmInput,
            strawberry.argument(description="The key mailed to the new address."),
        ],
    ) -> EmailChangeConfirmPayload:
        ctx = info.context
        try:
            user = await accounts.confirm_email_change(ctx.rt, ctx.viewer, key=input.key)
        except UserErrors as exc:
            return EmailChangeConfirmPayload(errors=user_errors(exc))
        return EmailChangeConfirmPayload(viewer=Viewer.from_model(user))

    @strawberry.mutation(description="Lift a lockout early with the mailed 解除キー.")
    async def login_unlock(
        self,
        info: Info,
        input: Annotated[
            LoginUnlockInput,
            strawberry.argument(description="The address and the mailed 解除キー."),
        ],
    ) -> LoginUnlockPayload:
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
        self,
        info: Info,
        input: Annotated[
            AccountWithdrawInput, strawberry.argument(description="The current password.")
        ],
    ) -> AccountWithdrawPayload:
        ctx = info.context
        try:
            user = await accounts.withdraw(ctx.rt, ctx.viewer, password=input.password)
        except UserErrors as exc:
            return AccountWithdrawPayload(errors=user_errors(exc))
        ctx.delete_cookie(SESSION_COOKIE)
        return AccountWithdrawPayload(withdrawn_at=user.withdrawn_at)
