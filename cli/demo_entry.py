"""`python -m cli.demo_entry`: the demo command alone, for running it as a subprocess."""

from __future__ import annotations

import typer

from cli.demo_command import demo

if __name__ == "__main__":
    typer.run(demo)
