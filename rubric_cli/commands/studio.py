"""`rubric studio [DIR]`: the workbench page for one person's own rubrics directory, opened in the browser.

Serves DIR (default: the current directory) on 127.0.0.1 only, gRPC on a free port and the page with JSON over
HTTP on `--port` (default: a free one), as `rubric serve --http-port` does, except that the page may save: a
saved rubric is written into DIR and the served rubrics reload. Prints the page's address, opens it with the
`webbrowser` module (not with `--no-browser`), and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rubric_cli.command import UsageProblem

if TYPE_CHECKING:
    from rubric_service.server import RubricServer

NAME = "studio"
HELP = "the workbench page: edit, score and test rubrics"
DESCRIPTION: str | None = __doc__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default=".", type=Path, metavar="DIR", help="your rubrics directory")
    parser.add_argument("--port", type=int, default=0, help="the page's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--no-browser", action="store_true", help="print the address without opening a browser")


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_service.server import build_parser, run_server

    if not options.directory.is_dir():
        raise UsageProblem(f"{options.directory}: not a directory", f"{options.directory}：不是目录")
    args = build_parser().parse_args(
        [
            "--rubrics",
            str(options.directory),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--http-port",
            str(options.port),
            "--processes",
            "1",
        ]
    )
    args.studio = True

    def opened(server: RubricServer) -> None:
        assert server.http is not None
        url = f"http://127.0.0.1:{server.http.port}/"
        print(f"工作台 workbench: {url}  (Ctrl-C 停止 to stop)", file=err, flush=True)
        if not options.no_browser:
            import webbrowser

            webbrowser.open(url)

    return run_server(args, out, err, on_start=opened)
