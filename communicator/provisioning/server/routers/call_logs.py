"""Call logs and their recordings, posted by clients (session or delivery token)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from ..api_models import CallLogBatchResult, CallLogIn, RecordingResult
from ..errors import BadRequest, Invalid, TooLarge
from ..services import call_logs
from .deps import API, ERRORS, LogOwner, State

router = APIRouter(prefix=API, tags=["agent"], responses=ERRORS)

RECORDING_TYPES = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/gsm": "gsm",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/mpeg": "mp3",
    "application/octet-stream": "bin",
}


@router.post(
    "/call-logs",
    response_model=CallLogBatchResult,
    summary="Upload call logs (batched, idempotent by id; each log accepted or refused alone)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["logs"],
                        "properties": {
                            "logs": {"type": "array", "items": CallLogIn.model_json_schema()}
                        },
                    }
                }
            },
        }
    },
)
async def post_call_logs(request: Request, owner: LogOwner, state: State) -> Response:
    agent_id, account_id = owner
    raw = await request.body()
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise BadRequest("the body is nested too deeply to be call logs") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest('the body must be JSON: {"logs": [...]}') from exc
    if isinstance(data, dict) and isinstance(data.get("logs"), list):
        items = data["logs"]
    elif isinstance(data, list):
        items = data
    else:
        raise Invalid('the body must be {"logs": [call log, ...]}')
    if len(items) > state.cfg.max_call_log_batch:
        raise TooLarge(f"at most {state.cfg.max_call_log_batch} logs per request")
    check_text = call_logs.may_hold_unstorable_text(raw)
    result = await state.write(
        lambda s: call_logs.ingest_call_logs(s, agent_id, items, account_id, check_text=check_text)
    )
    return JSONResponse(result.body())


@router.put(
    "/call-logs/{log_id}/recording",
    response_model=RecordingResult,
    summary="Upload the recording of a logged call (raw audio body; idempotent)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("audio/wav", "audio/gsm", "application/octet-stream")
            },
        }
    },
)
async def put_recording(
    log_id: uuid.UUID, request: Request, owner: LogOwner, state: State
) -> Response:
    agent_id, _account = owner
    ctype = request.headers.get("content-type", "application/octet-stream").split(";")[0]
    ext = RECORDING_TYPES.get(ctype.strip().lower())
    if ext is None:
        raise Invalid(f"unsupported recording type {ctype!r}; use one of {sorted(RECORDING_TYPES)}")
    await state.read(call_logs.get_own_call_log, agent_id, log_id)
    rec_dir = state.cfg.recordings_dir
    fd, tmp_name = tempfile.mkstemp(dir=rec_dir, prefix=".upload-")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        if size == 0:
            raise Invalid("the recording is empty")
        sha = digest.hexdigest()

        def store(s: Session) -> bool:
            log_row = call_logs.get_own_call_log(s, agent_id, log_id)
            name = f"{log_id}.{ext}"
            if log_row.recording_sha256 == sha and log_row.recording_file == name:
                return False
            os.replace(tmp, rec_dir / name)
            if log_row.recording_file and log_row.recording_file != name:
                with contextlib.suppress(OSError):
                    (rec_dir / log_row.recording_file).unlink()
            log_row.recording_file = name
            log_row.recording_sha256 = sha
            log_row.recording_size = size
            log_row.recording_type = ctype
            return True

        stored = await state.write(store)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return JSONResponse({"id": str(log_id), "size": size, "sha256": sha, "stored": stored})
