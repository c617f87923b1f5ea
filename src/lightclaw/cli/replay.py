"""``lightclaw replay EPISODE_ID``: replay from recorded outputs, step by step."""

from __future__ import annotations

import argparse
import sys

from rich.markup import escape

from lightclaw.cli.render import console
from lightclaw.cli.render import shown as shown_path
from lightclaw.rollouts.replay import replay_sync
from lightclaw.store import Store


def replay(args: argparse.Namespace) -> int:
    with Store() as store:
        result = replay_sync(store, args.episode_id, re_execute=args.re_execute)
        base = store.path.parent
    out = console()
    if result.note:
        print(f"lightclaw: note: {result.note}", file=sys.stderr)
    ep = result.replayed
    if not args.quiet:
        out.print(f"episode {ep.id}  task {ep.task_id}  policy {ep.policy}  seed {ep.seed}")
        for i, step in enumerate(ep.steps):
            raw = (
                step.raw_output.text
                if step.raw_output.text is not None
                else step.raw_output.tool_calls
            )
            out.print(f"[bold]step {step.index}[/bold]  output: {escape(_clip(str(raw)))}")
            for action in step.actions:
                out.print(f"   action  {escape(_clip(action.model_dump_json(exclude_none=True)))}")
            for call in step.calls:
                shown = call.error_message if call.error_type else str(call.output)
                out.print(
                    f"   call    {call.tool} -> {call.status}"
                    f"{f' ({call.error_type.value})' if call.error_type else ''}: "
                    f"{escape(_clip(str(shown)))}"
                )
            if step.error_type is not None:
                out.print(
                    f"   [red]error[/red]   {step.error_type.value}: "
                    f"{escape(_clip(step.error_message or ''))}"
                )
            if step.correction_of is not None:
                out.print(f"   correction of step {step.correction_of}")
            shot = result.recorded.steps[i].screenshot if i < len(result.recorded.steps) else None
            if shot:
                out.print(f"   screen  {escape(shown_path(base / shot))}")
        ending = (
            f"stop reason: {ep.stop_reason}"
            if ep.outcome == "safe_stop"
            else f"final answer: {escape(_clip(str(ep.final_answer)))}"
        )
        out.print(f"outcome: {ep.outcome}  {ending}")
    if result.identical:
        out.print(f"[green]replay identical[/green] to the record ({len(ep.steps)} steps)")
        return 0
    out.print(f"[red]replay differs[/red] from the record in {len(result.differences)} places:")
    for line in result.differences[:50]:
        out.print("  " + escape(_clip(line, 300)))
    return 1


def _clip(text: str, width: int = 160) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"
