"""`rubric serve`: the gRPC service over a rubrics directory, until SIGTERM (`rubric_service.server`).

The options are the service's own (`rubric_service.options`), so `rubric serve` and
`python -m rubric_service.server` take the same; gRPC is imported only when the server runs. Their
English help is the service's; their Chinese help is kept here (`HELP_ZH`), by option.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from rubric_service.auth import ENV_TOKENS
from rubric_service.options import SERVER_DESCRIPTION, add_server_arguments

from rubric_cli.help_zh import add_chinese, text

NAME = "serve"
HELP: str = text("serve the rubrics over gRPC (and HTTP: --http-port)", "通过 gRPC（及 HTTP：--http-port）提供评分服务")
DESCRIPTION: str | None = text(SERVER_DESCRIPTION, "通过 gRPC 提供评分服务 rubric.v1.RubricService。")

# The Chinese help of each option of `rubric_service.options.add_server_arguments`, by its long name.
HELP_ZH = {
    "--rubrics": "评分规则（*.rubric 文件）所在目录",
    "--host": "绑定的地址（0.0.0.0 或 :: 表示所有地址）",
    "--port": "绑定的端口；0 表示任选一个空闲端口",
    "--port-file": "开始服务后把所绑定的端口写入此文件",
    "--http-port": "同时在此端口上以 HTTP 提供 JSON 接口和工作台网页（0 表示任选一个空闲端口；默认不提供）",
    "--no-reload": "不监视目录中的改动",
    "--reload-debounce-ms": "在这段时间（毫秒）内的文件改动合并为一次重新载入",
    "--log-facts": "在每行评分日志中写入事实",
    "--decision-log-sync": "每次调用先写好评分日志行再返回结果（进程被 SIGKILL 也不丢日志；每次调用写一次盘）",
    "--workers": "处理单次调用的线程数（流式调用另有线程）",
    "--processes": "共用端口（SO_REUSEPORT）的服务进程数，各自重新载入，某个进程退出时重新启动；"
    "默认为处理器核数（%(default)s）；1 表示只由本进程提供服务",
    "--metrics-port": "在此端口的 /metrics 上提供 Prometheus 指标（0 表示任选一个空闲端口）",
    "--tracing": "跟踪除健康检查外的每次调用（OpenTelemetry；设置了 OTEL_EXPORTER_OTLP_ENDPOINT 且装有导出器时"
    "经 OTLP 导出）；每行评分日志带有其跟踪编号",
    "--drain-seconds": "停止前先报告 `NOT_SERVING` 的秒数，之后才拒绝调用",
    "--refuse-seconds": "报告 `NOT_SERVING` 之后、停止之前，以 `UNAVAILABLE` 拒绝新调用的秒数",
    "--max-message-bytes": "一条消息最多的字节数（%(default)s）",
    "--max-concurrent-rpcs": "同时进行的调用最多几个（%(default)s）",
    "--grace-seconds": "停止时留给进行中调用完成的秒数",
    "--max-stream-records": "一次 ScoreStream 最多可发送的记录数（%(default)s）；"
    "超出的记录以 `RESOURCE_EXHAUSTED` 失败",
    "--max-call-seconds": "流式调用最长持续的秒数（%(default)s 秒），不论客户端设定的截止时间",
    "--max-streams": "同时打开的流式调用数（%(default)s），每个在单次调用线程之外各占一个线程；再多的以"
    " `RESOURCE_EXHAUSTED` 拒绝",
    "--max-streams-per-peer": "同一客户端地址同时打开的流式调用数（%(default)s）",
    "--stream-idle-seconds": "流式调用既不发送记录也不接收结果超过这么多秒（%(default)s 秒）即取消",
    "--tls-cert": "PEM 证书链；与 --tls-key 一起给出时只提供 TLS 连接",
    "--tls-key": "--tls-cert 的 PEM 私钥",
    "--tls-client-ca": "PEM CA：要求客户端出示由它签发的证书（双向 TLS）",
    "--token-file": f"接受的令牌，每行一个（也可用逗号分隔写在 ${ENV_TOKENS} 中）；此后除健康检查外，"
    "每次调用都须带 `authorization: Bearer <令牌>`",
}
TITLES_ZH = {"stream limits": "流式调用的限制", "TLS and tokens": "TLS 与令牌"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    add_chinese(parser, HELP_ZH, TITLES_ZH)


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rubric_service.server import run_server

    return run_server(options, out, err)
