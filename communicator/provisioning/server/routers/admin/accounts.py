"""Admin: VoIP accounts, and their CSV import and export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ...api_models import (
    AccountCreate,
    AccountFields,
    AccountRow,
    BulkDeleteResult,
    DbId,
    IdList,
    ImportResult,
)
from ...errors import BadRequest, NotFound
from ...services import accounts, accounts_csv, audited
from ..deps import State
from .owner import Owner

router = APIRouter()


@router.get(
    "/accounts",
    response_model=list[AccountRow],
    summary="VoIP accounts: agent, group, phone number",
)
async def list_accounts(state: State) -> list[AccountRow]:
    return await state.read(accounts.account_rows)


@router.post("/accounts", response_model=AccountRow, status_code=201)
async def create_account(body: AccountCreate, state: State, who: Owner) -> AccountRow:
    def q(s: Session) -> AccountRow:
        acc = audited.create_account(s, state.cfg, state.box, who, body)
        return accounts.account_rows(s, [acc.id])[0]

    return await state.write(q)


@router.get(
    "/accounts/export.csv",
    responses={200: {"content": {"text/csv": {}}}},
    summary="Export accounts as CSV",
)
async def export_accounts(state: State, who: Owner, include_passwords: bool = False) -> Response:
    def q(s: Session) -> str:
        audited.exported(s, who, "accounts.csv", with_passwords=include_passwords)
        return accounts_csv.export_accounts_csv(s, state.box, with_passwords=include_passwords)

    # A write when it carries passwords: the export and its audit entry commit together.
    text = await (state.write(q) if include_passwords else state.read(q))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accounts.csv"'},
    )


@router.post(
    "/accounts/import",
    response_model=ImportResult,
    summary="Import accounts from CSV (text/csv body; upsert by sip_username; all or nothing)",
    openapi_extra={
        "requestBody": {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "required": True,
        }
    },
)
async def import_accounts(request: Request, state: State, who: Owner) -> ImportResult:
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("the CSV must be UTF-8") from exc
    created, updated = await state.write(
        audited.import_accounts_csv, state.cfg, state.box, who, text
    )
    return ImportResult(created=created, updated=updated)


@router.get("/accounts/{account_id}", summary="One account with every field (no password)")
async def get_account(account_id: DbId, state: State) -> dict[str, Any]:
    return await state.read(accounts.account_details, account_id)


@router.patch("/accounts/{account_id}", response_model=AccountRow)
async def patch_account(
    account_id: DbId, body: AccountFields, state: State, who: Owner
) -> AccountRow:
    def q(s: Session) -> AccountRow:
        acc = audited.update_account(s, state.cfg, state.box, who, account_id, body)
        return accounts.account_rows(s, [acc.id])[0]

    return await state.write(q)


@router.post(
    "/accounts/{account_id}/release",
    response_model=AccountRow,
    summary="Take a pool number back from whoever holds it (its SIP password changes)",
)
async def release_account(account_id: DbId, state: State, who: Owner) -> AccountRow:
    def q(s: Session) -> AccountRow:
        acc = audited.release_account(s, who, account_id)
        return accounts.account_rows(s, [acc.id])[0]

    return await state.write(q)


@router.delete("/accounts/{account_id}", status_code=204)
async def delete_account(account_id: DbId, state: State, who: Owner) -> Response:
    _deleted, missing = await state.write(audited.delete_accounts, who, [account_id])
    if missing:
        raise NotFound(f"VoIP account {account_id} does not exist")
    return Response(status_code=204)


@router.post("/accounts/bulk-delete", response_model=BulkDeleteResult)
async def bulk_delete_accounts(body: IdList, state: State, who: Owner) -> BulkDeleteResult:
    deleted, missing = await state.write(audited.delete_accounts, who, body.ids)
    return BulkDeleteResult(deleted=deleted, missing=missing)
