"""Per-process server state: database executors, caches and the change hub."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import db as db_mod
from .changes import Change, ChangeBus
from .config import ServerConfig
from .errors import NoFreeNumber
from .keycheck import check_server_key
from .logsafe import describe
from .ratelimit import HashQueue, TokenBuckets
from .security import SecretBox
from .services import directory, pool, profiles, sessions
from .services.sessions import DeliveryInfo, SessionInfo

T = TypeVar("T")
log = logging.getLogger(__name__)

SESSION_CACHE_S = 30.0
PRUNE_EVERY_S = 600.0
CHECKPOINT_EVERY_S = 2.0
"""SQLite: how often the WAL is copied into the database file (`db.checkpoint_wal`)."""


@dataclasses.dataclass
class _CachedSession:
    info: SessionInfo
    checked: float


class Subscriber:
    """One open event stream: woken with "check" on changes, "revoked" when signed out."""

    def __init__(self, agent_id: int, session_id: int) -> None:
        self.agent_id = agent_id
        self.session_id = session_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=4)

    def wake(self, what: str) -> None:
        if what == "revoked":
            while not self.queue.empty():
                self.queue.get_nowait()
        if not self.queue.full():
            self.queue.put_nowait(what)


class ServerState:
    def __init__(self, cfg: ServerConfig, *, migrate: bool = True) -> None:
        self.cfg = cfg
        self.engine: Engine = db_mod.make_engine(cfg.db_url)
        if migrate:
            db_mod.upgrade(self.engine)
        self.box = SecretBox.load(cfg.data_dir)
        check_server_key(self.engine, self.box, cfg.data_dir)
        self.maker: sessionmaker[Session] = db_mod.make_sessionmaker(self.engine, self.box)
        cfg.recordings_dir.mkdir(parents=True, exist_ok=True)
        self.bus = ChangeBus()
        self.bus.attach(self.maker)
        self.bus.subscribe(self._on_change)  # for the state's whole life
        sqlite = self.engine.dialect.name == "sqlite"
        self.reader = ThreadPoolExecutor(8, thread_name_prefix="db-read")
        self.writer = ThreadPoolExecutor(1 if sqlite else 8, thread_name_prefix="db-write")
        self.hasher = ThreadPoolExecutor(cfg.hash_workers, thread_name_prefix="argon2")
        self.sessions: dict[str, _CachedSession] = {}
        self.session_tokens: dict[int, str] = {}
        self.admins: dict[str, tuple[float, sessions.AdminCaller]] = {}  # token: (checked, who)
        self.deliveries: dict[str, tuple[DeliveryInfo, float]] = {}
        self.profiles: dict[int, tuple[bytes, str]] = {}
        self.directory: bytes | None = None
        self.generation = 0
        self.subscribers: dict[int, set[Subscriber]] = {}
        self.by_session: dict[int, set[Subscriber]] = {}
        self.limit_agent = TokenBuckets(cfg.signin_burst_per_agent, cfg.signin_rate_per_agent)
        self.limit_address = TokenBuckets(cfg.signin_burst_per_address, cfg.signin_rate_per_address)
        self.hashing = HashQueue(per_key=max(2, cfg.hash_workers // 2), max_waiting=200)
        self.shutdown = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None
        self._pruner: asyncio.Task[None] | None = None
        self._checkpointer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------------------ database

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self.reader, self._run, fn, False, args
        )

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self.writer, self._run, fn, True, args
        )

    def _run(self, fn: Callable[..., T], commit: bool, args: tuple[Any, ...]) -> T:
        with self.maker() as s:
            result = fn(s, *args)
            if commit:
                s.commit()
            return result

    async def _sweep_leases(self) -> None:
        """Ends the pool leases of clients that stopped reporting (see ``pool.py``)."""
        while not self.shutdown.is_set():
            await asyncio.sleep(self.cfg.lease_sweep_s)
            try:
                await self.write(pool.end_idle_leases)
            except Exception as exc:
                log.error("sweeping idle pool leases failed: %s", describe(exc))

    async def _prune(self) -> None:
        """Deletes dead sessions, tokens and sign-in limits of agents that never sign in again
        (those that do are pruned at sign-in)."""
        while not self.shutdown.is_set():
            await asyncio.sleep(PRUNE_EVERY_S)
            try:
                await self.write(sessions.prune_all_expired)
            except Exception as exc:  # logged by type: the error's text carries SQL parameters
                log.warning("pruning expired sessions failed: %s", type(exc).__name__)

    async def _checkpoint(self) -> None:
        """SQLite: the WAL into the database file every few seconds, on a reader thread (the
        writer's commits stay short; see `db.WAL_AUTOCHECKPOINT_PAGES`)."""
        loop = asyncio.get_running_loop()
        while not self.shutdown.is_set():
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            try:
                await loop.run_in_executor(self.reader, db_mod.checkpoint_wal, self.engine)
            except Exception as exc:  # logged by type: the error's text may carry paths
                log.warning("checkpointing the database failed: %s", type(exc).__name__)

    async def hash_read(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs ``fn(session, *args)`` on a hashing thread with a read-only database session:
        a sign-in's look-up and its password check in one hand-off instead of two."""
        return await asyncio.get_running_loop().run_in_executor(
            self.hasher, self._run, fn, False, args
        )

    async def hash_call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.hasher, fn, *args)

    async def start(self) -> None:
        self.shutdown.clear()
        await self.bus.start(self.engine, self.cfg.change_poll_s)
        self._sweeper = asyncio.create_task(self._sweep_leases())
        self._pruner = asyncio.create_task(self._prune())
        if self.engine.dialect.name == "sqlite":
            self._checkpointer = asyncio.create_task(self._checkpoint())

    async def stop(self) -> None:
        self.shutdown.set()
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
            self._pruner = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for subs in list(self.subscribers.values()):
            for sub in subs:
                sub.wake("shutdown")
        await self.bus.stop()
        self.reader.shutdown(wait=False)
        self.writer.shutdown(wait=True)
        self.hasher.shutdown(wait=False)
        self.engine.dispose()

    # -------------------------------------------------------------------------------- caches

    def _on_change(self, change: Change) -> None:
        if change == Change(status=True):
            return  # only an agent's reported status: the live board's, no cache holds it
        self.generation += 1
        self.directory = None
        for session_id in change.sessions_revoked:
            token = self.session_tokens.pop(session_id, None)
            if token is not None:
                self.sessions.pop(token, None)
            for sub in list(self.by_session.get(session_id, ())):
                sub.wake("revoked")
        if change.everyone:
            self.profiles.clear()
            targets = list(self.subscribers)
        else:
            for agent_id in change.agents:
                self.profiles.pop(agent_id, None)
            targets = [a for a in change.agents if a in self.subscribers]
        if change.recheck_credentials:
            self.sessions.clear()
            self.session_tokens.clear()
            self.deliveries.clear()
            self.admins.clear()
        if change.signed_out:
            self._drop_credentials_of(change.signed_out)
        if change.sessions_revoked and change.agents:
            # Deactivation or a password change: drop every cached session of those agents.
            for token, cached in list(self.sessions.items()):
                if cached.info.agent_id in change.agents and cached.info.session_id in (
                    change.sessions_revoked
                ):
                    self.sessions.pop(token, None)
        for agent_id in targets:
            for sub in list(self.subscribers.get(agent_id, ())):
                sub.wake("check")

    def _drop_credentials_of(self, agents: frozenset[int]) -> None:
        """Forgets the cached sessions and delivery tokens of agents whose credentials were
        all revoked, and ends their event streams."""
        for token, cached in list(self.sessions.items()):
            if cached.info.agent_id in agents:
                self.sessions.pop(token, None)
                self.session_tokens.pop(cached.info.session_id, None)
        for token, (info, _checked) in list(self.deliveries.items()):
            if info.agent_id in agents:
                self.deliveries.pop(token, None)
        for agent_id in agents:
            for sub in list(self.subscribers.get(agent_id, ())):
                sub.wake("revoked")

    async def session_for(self, token: str) -> SessionInfo | None:
        now = time.monotonic()
        cached = self.sessions.get(token)
        if cached is not None:
            if now - cached.checked < SESSION_CACHE_S and cached.info.expires_at.timestamp() > (
                time.time()
            ):
                return cached.info
            self.sessions.pop(token, None)
        info = await self.read(sessions.lookup_session, token)
        if info is not None:
            if len(self.sessions) > 200_000:
                self.sessions.clear()
            self.sessions[token] = _CachedSession(info, now)
            self.session_tokens[info.session_id] = token
        return info

    def remember_session(self, token: str, info: SessionInfo) -> None:
        self.sessions[token] = _CachedSession(info, time.monotonic())
        self.session_tokens[info.session_id] = token

    def forget_session(self, session_id: int) -> None:
        token = self.session_tokens.pop(session_id, None)
        if token is not None:
            self.sessions.pop(token, None)

    async def delivery_for(self, token: str) -> DeliveryInfo | None:
        now = time.monotonic()
        cached = self.deliveries.get(token)
        if (
            cached is not None
            and now - cached[1] < SESSION_CACHE_S
            and cached[0].expires_at.timestamp() > time.time()
        ):
            return cached[0]
        info = await self.read(sessions.lookup_delivery, token)
        if info is not None:
            if len(self.deliveries) > 200_000:
                self.deliveries.clear()
            self.deliveries[token] = (info, now)
        return info

    async def admin_for(self, token: str) -> sessions.AdminCaller | None:
        """The admin token's holder (cached like sessions), or None when it is not valid."""
        now = time.monotonic()
        cached = self.admins.get(token)
        if (
            cached is not None
            and now - cached[0] < SESSION_CACHE_S
            and cached[1].expires_at.timestamp() > time.time()
        ):
            return cached[1]
        caller = await self.read(sessions.admin_caller, token)
        if caller is None:
            self.admins.pop(token, None)
            return None
        if len(self.admins) > 10_000:
            self.admins.clear()
        self.admins[token] = (now, caller)
        return caller

    async def profile_for(
        self, agent_id: int, session: SessionInfo | None = None
    ) -> tuple[bytes, str]:
        cached = self.profiles.get(agent_id)
        if cached is not None:
            return cached
        generation = self.generation
        built = await self.read(profiles.build_profile, self.box, agent_id)
        if built is None and session is not None:
            await self.write(pool.ensure_account, self.cfg, agent_id, session.expires_at)
            generation = self.generation
            built = await self.read(profiles.build_profile, self.box, agent_id)
        if built is None:
            raise NoFreeNumber()
        if generation == self.generation:
            self.profiles[agent_id] = built
        return built

    async def directory_json(self) -> bytes:
        cached = self.directory
        if cached is not None:
            return cached
        import json

        generation = self.generation
        data = json.dumps(await self.read(directory.directory)).encode()
        if generation == self.generation:
            self.directory = data
        return data

    # --------------------------------------------------------------------------- subscribers

    def subscribe(self, agent_id: int, session_id: int) -> Subscriber:
        sub = Subscriber(agent_id, session_id)
        self.subscribers.setdefault(agent_id, set()).add(sub)
        self.by_session.setdefault(session_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        for table, key in ((self.subscribers, sub.agent_id), (self.by_session, sub.session_id)):
            subs = table.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del table[key]
