"""A command-line client for the scoring service (``rubric call``).

Takes: a method name, a request as proto3 JSON (``--json '{...}'``, ``--json @file``
or ``--json -`` for stdin) and a target. For ``ScoreStream`` and ``Compare`` the
input holds one JSON request per line (for ``Compare``, the first with the setup);
in a Score request or a Compare record, facts may be JSON numbers or bools and are
sent as their exact text. Guarantees: responses print as proto3 JSON with the
.proto field names, one per line for streams; on an RPC error the status code,
message, ErrorInfo and every field violation go to stderr and the exit code is 1;
a request that is not valid JSON for its message exits with 2.

Language: ``--lang zh|en`` (default: zh when ``LANG`` is zh*, else en, as every ``rubric`` command) is sent
as the ``accept-language`` metadata (zh-CN or en-US), so the server's messages, field violations and
explanations come in it, and the client's own words on stderr are in it too.

TLS: ``--tls-ca FILE`` (or ``--tls`` for the system's roots) connects over TLS, and
``--tls-cert``/``--tls-key`` present a client certificate (mutual TLS). A bearer token
(``--token TOKEN``, ``--token @FILE``, or ``$RUBRIC_TOKEN``) goes with every call as
``authorization: Bearer <token>``.

Examples::

    rubric call ListRubrics
    rubric call Score --json '{"rubric": "wuping.casework", "facts": {"execution_rate": "100"}}'
    rubric call Score --rubric wuping.inspection --facts rubrics/wuping/seed-inspection.facts.json
    rubric call ScoreStream --json @batch.jsonl
    rubric call Compare --json @comparison.jsonl
    rubric call ListRubrics --tls-ca ca.pem --token @token.txt --target rubric.example:443
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from rubric_dsl.diagnostics import Language, choose_language
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from rubric_service.options import CLIENT_DESCRIPTION, ENV_TOKEN, add_client_arguments
from rubric_service.tls import TlsConfigError, channel_credentials


@dataclass(frozen=True)
class Method:
    request: type[Message]
    call: Callable[[Any], Any]  # stub -> the stub's method
    stream: bool = False


# One entry per name of ``options.METHOD_NAMES`` (the choices of the method argument).
METHODS: dict[str, Method] = {
    "Score": Method(pb.ScoreRequest, lambda s: s.Score),
    "ScoreStream": Method(pb.ScoreRequest, lambda s: s.ScoreStream, stream=True),
    "ListRubrics": Method(pb.ListRubricsRequest, lambda s: s.ListRubrics),
    "GetRubric": Method(pb.GetRubricRequest, lambda s: s.GetRubric),
    "CheckRubric": Method(pb.CheckRubricRequest, lambda s: s.CheckRubric),
    "Compare": Method(pb.CompareRequest, lambda s: s.Compare, stream=True),
    "Health": Method(health_pb2.HealthCheckRequest, lambda s: s.Check),
}


def build_parser(prog: str = "rubric call") -> argparse.ArgumentParser:
    """The parser of ``python -m rubric_service.client``; ``rubric call`` adds the same options to its own."""
    parser = argparse.ArgumentParser(prog=prog, description=CLIENT_DESCRIPTION)
    add_client_arguments(parser)
    return parser


def _read_text(spec: str) -> str:
    if spec == "-":
        return sys.stdin.read()
    if spec.startswith("@"):
        return Path(spec[1:]).read_text(encoding="utf-8")
    return spec


def _flag_text(value: bool) -> str:
    return "true" if value else "false"


def _facts_as_text(chunk: str) -> Any:
    """The JSON with numbers and bool facts turned into their exact text ("facts" is a string map),
    in a Score request or in each record of a Compare request."""
    data = json.loads(chunk, parse_float=str, parse_int=str)
    records = data.get("records") if isinstance(data, dict) else None
    holders = [data, *(records if isinstance(records, list) else [])]
    for holder in holders:
        facts = holder.get("facts") if isinstance(holder, dict) else None
        if isinstance(facts, dict):
            holder["facts"] = {k: _flag_text(v) if isinstance(v, bool) else v for k, v in facts.items()}
    return data


def _score_shortcut(args: argparse.Namespace, text: str) -> str:
    """``--json`` with ``--rubric``, ``--facts`` and ``--explain`` merged in."""
    if args.rubric is None and args.facts is None and not args.explain:
        return text
    data = json.loads(text)
    if args.rubric is not None:
        data["rubric"] = args.rubric
    if args.facts is not None:
        data["facts"] = json.loads(args.facts.read_text(encoding="utf-8"))
    if args.explain:
        data["explain"] = True
    return json.dumps(data, ensure_ascii=False)


def _requests(method: Method, text: str) -> list[Message]:
    chunks = [line for line in text.splitlines() if line.strip()] if method.stream else [text]
    if method.request not in (pb.ScoreRequest, pb.CompareRequest):
        return [json_format.Parse(chunk, method.request()) for chunk in chunks]
    return [json_format.ParseDict(_facts_as_text(chunk), method.request()) for chunk in chunks]


def _to_json(message: Message, indent: int | None) -> str:
    data = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return json.dumps(data, ensure_ascii=False, indent=indent)


# The client's own words, by language: the server's come in the language it was asked for.
WORDS: dict[Language, dict[str, str]] = {
    "en": {"error": "error: ", "reason": "  reason: ", "bad request": "bad request for {method}: "},
    "zh": {"error": "错误：", "reason": "  原因：", "bad request": "{method} 的请求有误："},
}
LOCALES: dict[Language, str] = {"en": "en-US", "zh": "zh-CN"}  # --lang as accept-language


def describe_error(error: grpc.RpcError, lang: Language = "en") -> str:
    """Status code, message, ErrorInfo and field violations of a failed call, one per line; the message and
    violations as the server worded them (in the language the call asked for), the labels in `lang`."""
    words = WORDS[lang]
    lines = [f"{words['error']}{error.code().name}: {error.details()}"]
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else []:
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        if detail.Unpack(info):
            meta = ", ".join(f"{k}={v}" for k, v in sorted(info.metadata.items()))
            lines.append(f"{words['reason']}{info.reason} ({info.domain}) {meta}".rstrip())
        elif detail.Unpack(bad):
            lines += [f"  {v.field}: {v.description}" for v in bad.field_violations]
    return "\n".join(lines)


def _token(spec: str | None) -> str | None:
    """The token of ``--token`` (text or @FILE, first line) or of ``$RUBRIC_TOKEN``."""
    if spec is None:
        spec = os.environ.get(ENV_TOKEN) or None
    if spec is None:
        return None
    if spec.startswith("@"):
        words = Path(spec[1:]).read_text(encoding="utf-8").split()
        spec = words[0] if words else ""
    return spec.strip() or None


def open_channel(args: argparse.Namespace) -> grpc.Channel:
    """An insecure channel, or a TLS one when any TLS option is given."""
    if not (args.tls or args.tls_ca or args.tls_cert or args.tls_key):
        return grpc.insecure_channel(args.target)
    credentials = channel_credentials(args.tls_ca, args.tls_cert, args.tls_key)
    options = [("grpc.ssl_target_name_override", args.tls_server_name)] if args.tls_server_name else []
    return grpc.secure_channel(args.target, credentials, options=options)


def _stub_for(name: str, channel: Any) -> Any:
    return health_pb2_grpc.HealthStub(channel) if name == "Health" else pb_grpc.RubricServiceStub(channel)


def client_main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and make the call (``run_client``), printing to stdout and stderr."""
    return run_client(build_parser().parse_args(argv), sys.stdout, sys.stderr)


def run_client(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Make the call of parsed options, responses on ``out``, errors on ``err``; 0 on success, 1 on an RPC error,
    2 on a bad request or unreadable TLS/token file."""
    method = METHODS[args.method]
    lang = choose_language(getattr(args, "lang", None))
    words = WORDS[lang]
    try:
        text = _read_text(args.json)
        requests = _requests(method, _score_shortcut(args, text) if args.method == "Score" else text)
    except (json_format.ParseError, ValueError, OSError) as exc:
        print(f"{words['error']}{words['bad request'].format(method=args.method)}{exc}", file=err)
        return 2
    try:
        token = _token(args.token)
        channel = open_channel(args)
    except (TlsConfigError, OSError) as exc:
        print(f"{words['error']}{exc}", file=err)
        return 2
    metadata = [("accept-language", LOCALES[lang])]
    if token is not None:
        metadata.append(("authorization", f"Bearer {token}"))
    with channel:
        call = method.call(_stub_for(args.method, channel))
        try:
            if method.stream:
                responses: Iterator[Message] = call(iter(requests), timeout=args.timeout, metadata=metadata)
                for response in responses:
                    print(_to_json(response, None), file=out, flush=True)
            else:
                print(_to_json(call(requests[0], timeout=args.timeout, metadata=metadata), 2), file=out)
        except grpc.RpcError as error:
            print(describe_error(error, lang), file=err)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(client_main())
