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
from rubric_cli.help_zh import text

if TYPE_CHECKING:
    from rubric_service.server import RubricServer

NAME = "studio"
HELP: str = text("the workbench page: edit, score and test rubrics", "工作台网页：编辑、试评和测试评分规则")
DESCRIPTION: str | None = text(
    __doc__ or "",
    """\
`rubric studio [DIR]`：在浏览器中打开工作台网页，编辑自己的评分规则目录。

只在 127.0.0.1 上提供 DIR（默认：当前目录）：gRPC 用一个空闲端口，网页及其 JSON 接口用 HTTP
端口 --port（默认：一个空闲端口），与 `rubric serve --http-port` 相同，不同的是网页可以保存：保存的
评分规则写入 DIR，所提供的评分规则随即重新载入。显示网页地址，用 `webbrowser` 模块打开它
（--no-browser 时不打开），一直运行到按 Ctrl-C 为止。
""",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        default=".",
        type=Path,
        metavar="DIR",
        help=text("your rubrics directory", "你的评分规则目录"),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help=text(
            "the page's port on 127.0.0.1 (default: a free one)", "网页在 127.0.0.1 上的端口（默认：一个空闲端口）"
        ),
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help=text("print the address without opening a browser", "只显示地址，不打开浏览器"),
    )


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
