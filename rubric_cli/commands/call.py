"""`rubric call METHOD`: one call to a running service, requests and responses as JSON (`rubric_service.client`).

The options are the client's own (`rubric_service.options`), so `rubric call` and
`python -m rubric_service.client` take the same; gRPC is imported only when the call is made.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from rubric_service.options import CLIENT_DESCRIPTION, add_client_arguments

NAME = "call"
HELP = "call a running service (see `rubric call --help`)"
DESCRIPTION: str | None = CLIENT_DESCRIPTION


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_client_arguments(parser)


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_service.client import run_client

    return run_client(options, out, err)
