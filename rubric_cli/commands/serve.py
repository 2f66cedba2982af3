"""`rubric serve`: the gRPC service over a rubrics directory, until SIGTERM (`rubric_service.server`).

The options are the service's own (`rubric_service.options`), so `rubric serve` and
`python -m rubric_service.server` take the same; gRPC is imported only when the server runs.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from rubric_service.options import SERVER_DESCRIPTION, add_server_arguments

NAME = "serve"
HELP = "serve the rubrics over gRPC (and HTTP: --http-port)"
DESCRIPTION: str | None = SERVER_DESCRIPTION


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_service.server import run_server

    return run_server(options, out, err)
