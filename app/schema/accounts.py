"""Logins, sessions and the employer account opening (求人者マイページ開設)."""

from __future__ import annotations

import datetime as dt

import strawberry

from app import models
from app.errors import NotAuthenticated, UserErrors
from app.resolvers import accounts
from app.schema.context import DEVICE_COOKIE, SESSION_COOKIE, Context, Info
from app.schema.errors import UserError, user_errors
from app.schema.establishments import Establishment, Office

Portal = strawberry.enum(models.Portal, description="Which My Page: 職員, 求人者 or 求職者.")


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


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The logged-in user, or null.")
    def viewer(self, info: Info) -> Viewer | None:
        user = info.context.viewer.user
        if user is None:
            return None
        return Viewer(
            portal=user.portal,
            email=user.email,
            establishment_id=user.establishment_id,
            office_id=user.office_id,
        )


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
            )
        except UserErrors as exc:
            return EmployerRegistrationCompletePayload(errors=user_errors(exc))
        establishment = await models.Establishment.get(id=user.establishment_id)
        return EmployerRegistrationCompletePayload(
            establishment=Establishment.from_model(establishment)
        )
