"""Agent sign-in and sign-out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from ..api_models import (
    AgentPublic,
    DeskPhone,
    PhoneChoice,
    PhoneChoiceOut,
    SignInRequest,
    SignInResponse,
)
from ..errors import ApiError, Forbidden, RateLimited, Unauthorized
from ..models import Agent
from ..security import verify_password
from ..services import hot_desk, profiles, sessions, signin_limits
from ..services.sessions import SessionInfo
from .deps import API, ERRORS, SignedIn, State, client_address

router = APIRouter(prefix=API, tags=["agent"], responses=ERRORS)

_AGENT_BY_LOGIN = (
    select(Agent).options(joinedload(Agent.group)).where(Agent.login == bindparam("login"))
)
"""The whole agent with its group (the profile is built from them after the check); built
once, not at every sign-in."""


@router.post(
    "/sessions",
    response_model=SignInResponse,
    status_code=201,
    summary="Agent sign-in: returns a session token",
)
async def sign_in(body: SignInRequest, request: Request, state: State) -> Response:
    address = client_address(request)
    login = body.login.strip()
    # A load guard per process (every attempt counts), then the guessing limits (failures,
    # in the database): a stranger's failures never lock the agent out at its workstation.
    wait = state.limit_address.take(address)
    if wait > 0:
        raise RateLimited(
            f"too many sign-in attempts for this address; retry in {int(wait) + 1} s", wait
        )
    drawn = signin_limits.buckets(state.cfg, login, address)

    def check(s: Session) -> tuple[tuple[float, str] | None, Agent | None, bool]:
        """(the limit that refuses the attempt, the agent, whether the password is right): the
        look-up and the password check in one hand-off to a hashing thread."""
        refused = signin_limits.refusal(s, drawn)
        if refused is not None:
            return refused, None, False
        a = s.scalar(_AGENT_BY_LOGIN, {"login": login})
        # The database connection goes back to the pool before the ~20 ms hash: the agent and
        # its group stay readable, detached (open_session treats them so anyway).
        s.close()
        ok = verify_password(a.password_hash if a is not None else None, body.password)
        return None, a, ok

    if not await state.hashing.enter(address):
        raise RateLimited("too many sign-ins at once from this address; retry in 1 s", 1.0)
    generation = state.generation
    try:
        refused, agent, ok = await state.hash_read(check)
    finally:
        state.hashing.leave(address)
    if refused is not None:
        wait, what = refused
        raise RateLimited(f"too many sign-in attempts for {what}; retry in {int(wait) + 1} s", wait)
    if not ok or agent is None:
        await state.write(signin_limits.record_failure, drawn)
        raise Unauthorized("wrong login or password")
    if not agent.active:
        raise Unauthorized("this agent account is disabled; ask an administrator")
    signed_in = agent

    def open_session(s: Session) -> tuple[dict[str, Any], SessionInfo, tuple[bytes, str] | None]:
        # (create_session refuses the agent if it was disabled meanwhile.)
        token, info, account, pooled = sessions.create_session(s, state.cfg, signed_in, address)
        delivery, delivery_expires = sessions.create_delivery_token(s, signed_in.id, account.id)
        group = signed_in.group.name if signed_in.group is not None else None
        answer = SignInResponse(
            token=token,
            expires_at=info.expires_at,
            agent=AgentPublic(
                id=signed_in.id,
                login=signed_in.login,
                display_name=signed_in.display_name,
                group=group,
            ),
            extension=str(account.extension),
            pooled=pooled,
            delivery_token=delivery,
            delivery_expires_at=delivery_expires,
            phones=hot_desk.free_desk_phones(s, info.session_id) if signed_in.hot_desk else None,
        ).model_dump(mode="json")
        # The client fetches its profile next: build it while the rows are at hand.
        try:
            built = profiles.render_profile(s, state.box, signed_in, account)
        except ApiError:
            built = None
        return answer, info, built

    result, info, built = await state.write(open_session)
    state.remember_session(result["token"], info)
    if built is not None and generation == state.generation:
        state.profiles[info.agent_id] = built
    return JSONResponse(result, status_code=201)


@router.delete(
    "/sessions/current",
    status_code=204,
    summary="Sign out: revokes the token and returns a pool account",
)
async def sign_out(info: SignedIn, state: State) -> Response:
    state.forget_session(info.session_id)
    await state.write(sessions.end_session, info.session_id)
    return Response(status_code=204)


@router.put(
    "/sessions/current/phone",
    response_model=PhoneChoiceOut,
    summary="Hot desk: where this session's calls ring (a desk phone, or null: this computer)",
    responses={409: {"description": "Another signed-in agent has chosen that desk phone"}},
)
async def choose_phone(body: PhoneChoice, info: SignedIn, state: State) -> PhoneChoiceOut:
    def choose(s: Session) -> DeskPhone | None:
        agent = s.get(Agent, info.agent_id)
        if agent is None or not agent.hot_desk:
            raise Forbidden("hot desk is not enabled for this agent; ask an administrator")
        return hot_desk.choose_phone(s, info.session_id, body.phone_id)

    return PhoneChoiceOut(phone=await state.write(choose))
