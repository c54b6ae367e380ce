"""Demo data for a first look: an office, its staff, an establishment and a fresh code."""

from __future__ import annotations

from app.japanese import japanese_era_date
from app.models import Establishment, Portal, User
from app.resolvers import accounts, establishments
from app.runtime import Runtime
from app.terms import TermsKind, current_version
from app.viewer import Viewer

OFFICE_CODE = "13010"
OFFICE_NAME = "飯田橋公共職業安定所"
STAFF_EMAIL = "staff@iidabashi.example.jp"
STAFF_PASSWORD = "Counter#2026"  # noqa: S105 - a published demo login
ESTABLISHMENT_NUMBER = "1301-123456-7"
PHONE_NUMBER = "03-3812-0001"


async def load(rt: Runtime) -> str:
    """Create what is missing, issue a new account creation code, and say how to use it."""
    staff = await User.get_or_none(portal=Portal.STAFF, email=STAFF_EMAIL)
    if staff is None:
        staff = await accounts.create_staff(
            rt,
            office_code=OFFICE_CODE,
            office_name=OFFICE_NAME,
            email=STAFF_EMAIL,
            password=STAFF_PASSWORD,
        )
    viewer = Viewer(user=staff)
    establishment = await Establishment.get_or_none(number=ESTABLISHMENT_NUMBER)
    if establishment is None:
        establishment = await establishments.register_establishment(
            rt,
            viewer,
            establishment_number=ESTABLISHMENT_NUMBER,
            name="ハローワークケア",
            name_kana="ハローワークケア",
            phone_number=PHONE_NUMBER,
            postal_code="112-8577",
            address="東京都文京区後楽1-9-20",
        )
    issued = await establishments.issue_account_creation_code(
        rt, viewer, establishment_id=establishment.id
    )
    expires = japanese_era_date(issued.record.expires_on)
    privacy = current_version(TermsKind.PRIVACY_POLICY)
    terms = current_version(TermsKind.TERMS_OF_USE)
    return f"""\
デモデータ (demo data)
  安定所 office        : {OFFICE_CODE} {OFFICE_NAME}
  職員 staff login     : {STAFF_EMAIL} / {STAFF_PASSWORD}
  事業所 establishment : {establishment.name} {ESTABLISHMENT_NUMBER} 電話 {PHONE_NUMBER}

  アカウント作成コード : {issued.code}
  有効期限             : {expires} ({issued.record.expires_on})

Open the employer account at http://127.0.0.1:8000/graphql :
  mutation {{ employerRegistrationRequest(input: {{
      email: "you@example.jp", emailConfirmation: "you@example.jp",
      establishmentNumber: "{ESTABLISHMENT_NUMBER}", phoneNumber: "{PHONE_NUMBER}",
      accountCreationCode: "{issued.code}",
      agreedPrivacyPolicyVersion: "{privacy}", agreedTermsVersion: "{terms}" }})
    {{ authKeyExpiresAt errors {{ field code message }} }} }}
then read 認証キー in the newest mail under {rt.settings.mail_url} and run
employerRegistrationComplete; the README walks through every step."""
