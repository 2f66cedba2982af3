"""`rubric call METHOD`: one call to a running service, requests and responses as JSON (`rubric_service.client`).

The options are the client's own (`rubric_service.options`), so `rubric call` and
`python -m rubric_service.client` take the same; their English help is the client's, their Chinese
help is kept here (`HELP_ZH`), by option. gRPC is imported only when the call is made.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from rubric_service.options import CLIENT_DESCRIPTION, ENV_TOKEN, add_client_arguments

from rubric_cli.help_zh import add_chinese, text

NAME = "call"
HELP: str = text(
    "call a running service (see `rubric call --help`)", "调用正在运行的评分服务（见 `rubric call --help`）"
)
DESCRIPTION: str | None = text(CLIENT_DESCRIPTION, "以 JSON 调用评分服务 rubric.v1.RubricService。")

# The Chinese help of each option of `rubric_service.options.add_client_arguments`, by its long name.
HELP_ZH = {
    "method": "要调用的方法",
    "--json": "请求的 JSON，或 @文件，或 - 表示从标准输入读取",
    "--rubric": "Score：评分规则编号（不必写进 --json）",
    "--facts": "Score：事实的 JSON 文件（不必写进 --json）",
    "--explain": "Score：要求说明每项得分",
    "--target": "服务地址 主机:端口",
    "--timeout": "截止时间（秒）",
    "--lang": "提示信息的语言：zh 中文，en 英文（默认：环境变量 LANG 为 zh* 时用中文，否则用英文）；"
    "也作为 `accept-language` 发给服务",
    "--token": f"访问令牌，或存有令牌的 @文件（默认取 ${ENV_TOKEN}）",
    "--tls": "以 TLS 连接，信任系统的根证书",
    "--tls-ca": "以 TLS 连接，信任这个 PEM CA",
    "--tls-cert": "双向 TLS 的 PEM 客户端证书（与 --tls-key 一起）",
    "--tls-key": "--tls-cert 的 PEM 私钥",
    "--tls-server-name": "核对服务端证书所用的名称",
}
TITLES_ZH = {"TLS and tokens": "TLS 与令牌"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_client_arguments(parser)
    add_chinese(parser, HELP_ZH, TITLES_ZH)


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_service.client import run_client

    return run_client(options, out, err)
