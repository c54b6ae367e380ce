"""What every use case runs with: settings, the clock, the mailer and the outbox, the event
broker and the throttle."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.broker import Broker, InProcessBroker, RedisBroker
from app.clock import Clock
from app.mail import Mailer, mailer_from_url
from app.outbox import Outbox
from app.security import keyed_hash
from app.settings import Settings
from app.throttle import Throttle


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    clock: Clock
    mailer: Mailer
    broker: Broker = field(default_factory=InProcessBroker)
    throttle: Throttle = field(default_factory=Throttle.off)
    outbox: Outbox = field(default_factory=Outbox)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        clock = clock or Clock()
        return cls(
            settings=settings,
            clock=clock,
            mailer=mailer_from_url(settings.mail_url, settings.mail_from),
            broker=RedisBroker(settings.redis_url) if settings.redis_url else InProcessBroker(),
            throttle=Throttle.from_settings(settings, clock),
        )

    def secret_hash(self, purpose: str, value: str) -> str:
        """The keyed hash under which a secret of this kind (`purpose`) is stored."""
        return keyed_hash(self.settings.secret_key, purpose, value)
