"""TLS and mutual TLS on the real server, with certificates made for this run (``certs.make_pki``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from certs import Pki, make_pki
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rubric_service.client import client_main
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, ROOT, WAIT, ServerProcess, copy_rubrics

TOKEN = "tls-test-token-0123456789"
SCORE = pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    rubrics = copy_rubrics(tmp_path_factory.mktemp("tls") / "rubrics")
    process = ServerProcess(rubrics, "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key))
    yield process
    assert process.terminate() == 0


@pytest.fixture(scope="module")
def mtls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Client certificates required, and a bearer token too."""
    base = tmp_path_factory.mktemp("mtls")
    tokens = base / "tokens.txt"
    tokens.write_text(f"# accepted tokens\n{TOKEN}\n", encoding="utf-8")
    tokens.chmod(0o600)
    process = ServerProcess(
        copy_rubrics(base / "rubrics"),
        *("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)),
        *("--tls-client-ca", str(pki.ca), "--token-file", str(tokens)),
    )
    yield process
    assert process.terminate() == 0


def _channel(
    target: str, ca: Path, cert: Path | None = None, key: Path | None = None, name: str | None = None
) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=key.read_bytes() if key else None,
        certificate_chain=cert.read_bytes() if cert else None,
    )
    options = [("grpc.ssl_target_name_override", name)] if name else []
    return grpc.secure_channel(target, credentials, options=options)


def _score(channel: grpc.Channel, token: str | None = None) -> Any:
    metadata = [("authorization", f"Bearer {token}")] if token else None
    return pb_grpc.RubricServiceStub(channel).Score(SCORE, timeout=10, metadata=metadata)


def _refused(channel: grpc.Channel) -> grpc.StatusCode:
    with channel, pytest.raises(grpc.RpcError) as caught:
        _score(channel, TOKEN)
    return caught.value.code()


def test_serving_event_says_tls(tls_server: ServerProcess, mtls_server: ServerProcess):
    plain = tls_server.wait_for(lambda e: e.get("event") == "serving")
    mutual = mtls_server.wait_for(lambda e: e.get("event") == "serving")
    assert (plain["tls"], plain["client_certificates"], plain["tokens"]) == (True, False, 0)
    assert (mutual["tls"], mutual["client_certificates"], mutual["tokens"]) == (True, True, 1)


@pytest.mark.parametrize("name", [None, "localhost"], ids=["by-ip", "by-name"])
def test_tls_client_scores_and_checks_health(tls_server: ServerProcess, pki: Pki, name: str | None):
    with _channel(tls_server.target, pki.ca, name=name) as channel:
        response = _score(channel)
        assert (response.total, response.grade) == ("94.6", "优")
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING


def test_plaintext_client_is_refused(tls_server: ServerProcess):
    assert _refused(grpc.insecure_channel(tls_server.target)) == grpc.StatusCode.UNAVAILABLE


def test_client_that_does_not_trust_the_ca_is_refused(tls_server: ServerProcess, pki: Pki):
    assert _refused(_channel(tls_server.target, pki.other_ca)) == grpc.StatusCode.UNAVAILABLE


def test_server_name_is_checked(tls_server: ServerProcess, pki: Pki):
    assert _refused(_channel(tls_server.target, pki.ca, name="not-the-server.example")) == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_with_a_client_certificate_and_token(mtls_server: ServerProcess, pki: Pki):
    with _channel(mtls_server.target, pki.ca, pki.client_cert, pki.client_key) as channel:
        assert _score(channel, TOKEN).total == "94.6"
        with pytest.raises(grpc.RpcError) as caught:
            _score(channel)  # the certificate alone is not enough when tokens are set
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("who", ["no-certificate", "other-ca"])
def test_mutual_tls_refuses_clients_without_a_trusted_certificate(mtls_server: ServerProcess, pki: Pki, who: str):
    if who == "no-certificate":
        channel = _channel(mtls_server.target, pki.ca)
    else:
        channel = _channel(mtls_server.target, pki.ca, pki.stranger_cert, pki.stranger_key)
    assert _refused(channel) == grpc.StatusCode.UNAVAILABLE


def test_rubric_call_over_mutual_tls(
    mtls_server: ServerProcess, pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    tls = ["--tls-ca", str(pki.ca), "--tls-cert", str(pki.client_cert), "--tls-key", str(pki.client_key)]
    request = json.dumps({"rubric": "wuping.casework", "facts": CASEWORK_FACTS})
    argv = ["Score", "--target", mtls_server.target, *tls, "--token", f"@{token_file}", "--json", request]
    assert client_main(argv) == 0
    assert json.loads(capsys.readouterr().out)["total"] == "94.6"
    assert client_main(["ListRubrics", "--target", mtls_server.target, *tls, "--token", "wrong"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: UNAUTHENTICATED") and "BAD_TOKEN" in err and "wrong" not in err
    assert client_main(["Health", "--target", mtls_server.target, *tls]) == 0  # health needs no token


def _serve_exit(*options: str, rubrics: Path = ROOT / "rubrics") -> tuple[int, str]:
    command = [
        sys.executable,
        "-m",
        "rubric_service.server",
        "--rubrics",
        str(rubrics),
        "--port",
        "0",
        "--processes",
        "1",
        *options,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=WAIT, check=False)
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--tls-cert", "{cert}"], "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", "{ca}"], "--tls-client-ca needs --tls-cert and --tls-key"),
        (["--tls-cert", "{cert}", "--tls-key", "{missing}"], "cannot read the private key"),
        (["--tls-cert", "{tokens}", "--tls-key", "{key}"], "the certificate is not PEM"),
        (["--token-file", "{missing}"], "cannot read the token file"),
        (["--token-file", "{empty}"], "names no token"),
    ],
    ids=["cert-without-key", "client-ca-alone", "missing-key", "not-pem", "missing-token-file", "empty-token-file"],
)
def test_bad_tls_or_token_options_stop_the_server(pki: Pki, tmp_path: Path, options: list[str], message: str):
    (tmp_path / "empty").write_text("# no tokens here\n\n", encoding="utf-8")
    (tmp_path / "tokens").write_text(TOKEN, encoding="utf-8")
    paths = {
        "cert": pki.server_cert,
        "key": pki.server_key,
        "ca": pki.ca,
        "missing": tmp_path / "missing.pem",
        "empty": tmp_path / "empty",
        "tokens": tmp_path / "tokens",
    }
    code, stderr = _serve_exit(*(o.format(**paths) for o in options))
    assert code == 2 and message in stderr, stderr
