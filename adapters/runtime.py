"""What a running process gives its surfaces: the settings, the core on its database, the foreground count.

The composition root (:mod:`adapters.composition`) builds it; surface builders take the parts they need.
It lives apart from the root so that a surface can name it without importing the root.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.http.foreground import Foreground
from adapters.settings import Settings
from bot.core import CustomerMoment
from bot.runtime import Backend


@dataclass(slots=True)
class Runtime:
    settings: Settings
    backend: Backend
    foreground: Foreground = field(default_factory=Foreground)  # this process's requests being answered

    @property
    def engine(self) -> AsyncEngine:
        return self.backend.engine

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.backend.sessions

    @property
    def core(self) -> CustomerMoment:
        return self.backend.core

    async def close(self) -> None:
        await self.backend.close()
