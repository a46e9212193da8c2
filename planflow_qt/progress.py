"""Live progress of a run in the terminal (rich): the node, the round and key metrics."""

from __future__ import annotations

from rich.console import Console

from planflow_qt.engine.events import EventKind, RunEvent


class ConsoleProgress:
    """Observer printing rounds, metrics, warnings and failures, with a status line for the running node."""

    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self._status = None
        self._metrics: list[str] = []

    def _set_status(self, text: str) -> None:
        if self.quiet:
            return
        if self._status is None:
            self._status = self.console.status(text)
            self._status.start()
        else:
            self._status.update(text)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __call__(self, event: RunEvent) -> None:
        kind = event.kind
        out = self.console
        where = f"round {event.round} " if event.round else ""
        if kind is EventKind.RUN_STARTED:
            out.print(f"[bold]{event.message}[/bold]")
        elif kind is EventKind.NODE_STARTED:
            self._set_status(f"{where}[cyan]{event.node_id}[/cyan] {event.message}")
        elif kind is EventKind.ROUND_STARTED:
            self._metrics = []
        elif kind is EventKind.METRIC:
            unit = event.data.get("unit", "")
            self._metrics.append(f"{event.data['name']} [bold]{event.data['value']:.4g}[/bold]{unit}")
        elif kind is EventKind.ROUND_FINISHED:
            out.print(f"[bold blue]{event.message}[/bold blue]")
            if self._metrics:
                out.print("   " + " | ".join(self._metrics), soft_wrap=False)
        elif kind is EventKind.WARNING:
            where = f" {event.node_id}:" if event.node_id else ""
            out.print(f"[yellow]warning[/yellow]{where} {event.message}")
        elif kind is EventKind.RUN_FAILED:
            self.close()
            out.print(f"[bold red]failed[/bold red] {event.message}")
        elif kind is EventKind.RUN_STOPPED:
            self.close()
            out.print(f"[yellow]{event.message}[/yellow]")
        elif kind is EventKind.RUN_FINISHED:
            self.close()
            out.print(f"[bold green]{event.message}[/bold green]")
