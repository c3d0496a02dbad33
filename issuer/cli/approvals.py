"""``tessera approvals``: maker-checker requests, decided as the operator."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from issuer.access.approvals import Operator, approve, list_approvals, public_params, reject
from issuer.cli.context import actor, services_of
from issuer.store.engine import session_scope
from issuer.tasks.queue import create_task_queue
from issuer.vocabulary import ApprovalState, either

approvals_app = typer.Typer(help="Maker-checker requests (approve as the operator).")


@approvals_app.command("list")
def approvals_list(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option(help=either(ApprovalState))
    ] = ApprovalState.PENDING.value,
) -> None:
    """Requests waiting for (or given) a second admin's decision."""
    services = services_of(ctx, read_only=True)
    with services.sessions() as session:
        rows, total = list_approvals(session, state=state, limit=500, offset=0)
        for row in rows:
            typer.echo(
                f"{row.id}  {row.state:8}  {row.action:24}  by {row.requested_by}  "
                f"{orjson.dumps(public_params(row.params)).decode()}"
            )
    typer.echo(f"{total} request(s)")


@approvals_app.command("approve")
def approvals_approve(ctx: typer.Context, approval_id: str) -> None:
    """Approve a request as the operator and carry it out. An approved admin principal or
    token is printed once, on the last line."""
    services = services_of(ctx)
    settings = services.settings
    operator = Operator(
        settings.keys_dir,
        settings.read_passphrase,
        settings.key_algorithm,
        services.issuer,
        settings.reissue_chunk_size,
    )
    with services.key_transaction() as session:
        decision = approve(
            session, approval_id, actor=actor(), operator=operator, now=services.clock()
        )
        row = decision.approval
        done = f"approved {row.id} ({row.action}): {orjson.dumps(row.result).decode()}"
    typer.echo(done)
    if decision.reissue is not None:  # on workers (PostgreSQL), or here and now (SQLite)
        queue = create_task_queue(services)
        try:
            queue.start_reissue(decision.reissue)
        finally:
            queue.close()
    if decision.token is not None:
        typer.echo("its API token is shown once:")
        typer.echo(decision.token)


@approvals_app.command("reject")
def approvals_reject(ctx: typer.Context, approval_id: str) -> None:
    """Reject a request: nothing is carried out."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        row = reject(session, approval_id, actor=actor(), now=services.clock())
        done = f"rejected {row.id} ({row.action})"
    typer.echo(done)
