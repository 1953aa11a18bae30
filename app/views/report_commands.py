"""``fieldcrm report forecast|pipeline|heatmap``: the cockpit's reports on the command line,
computed from the profile's synced data (offline), as text, JSON, xlsx or PDF."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli_context import Context, pass_ctx
from app.domain.forecast import parse_period
from app.domain.messages import Msg
from app.store.cockpit import REPORTS, build, report_sheets
from app.store.sheets import write_sheets

TITLES = {
    "forecast": Msg("销售预测", "Sales forecast"),
    "pipeline": Msg("管道分析", "Pipeline analytics"),
    "heatmap": Msg("阶段卡点热力图", "Stage blockage heatmap"),
}


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


@click.command("report")
@click.argument("kind", type=click.Choice(REPORTS))
@click.option("--period", help="A quarter like 2026Q4 or a month like 2026-11 (forecast: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), help="Also write an .xlsx file.")
@click.option("--pdf", "pdf", type=click.Path(path_type=Path), help="Also write a PDF file.")
@pass_ctx
def report(
    ctx: Context, kind: str, period: str | None, as_json: bool, xlsx: Path | None, pdf: Path | None
) -> None:
    """Print a team report over this profile's data (a lead sees the team's deals)."""
    if period is not None:
        try:
            parse_period(period)
        except ValueError:
            ctx.fail(
                Msg(
                    "期间格式应为 2026Q4(季度)或 2026-11(月份)",
                    "A period looks like 2026Q4 (quarter) or 2026-11 (month)",
                )
            )
    store = ctx.store()
    try:
        data = build(store, kind, period)
        rules = store.rules
    finally:
        store.close()
    sheets = report_sheets(kind, data, rules, ctx.lang)
    title = ctx.say(TITLES[kind])
    subtitle = str(data.get("period") or "")
    try:
        if xlsx is not None:
            write_sheets(xlsx, sheets)
        if pdf is not None:
            from app.views.report_pdf import write_pdf

            write_pdf(pdf, title, subtitle, sheets)
    except (OSError, ValueError) as exc:
        ctx.fail(Msg("无法写入文件:{e}", "Could not write the file: {e}").format(e=exc))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"{title} {subtitle}".strip())
    for sheet in sheets:
        click.echo(f"\n{sheet.title}")
        click.echo("\t".join(sheet.headers))
        for row in sheet.rows:
            click.echo("\t".join(_text(v) for v in row))


COMMANDS = (report,)
