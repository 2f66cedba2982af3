"""TLS for the server and the client: PEM files in, gRPC credentials out.

Takes: paths to PEM files: the server's certificate chain and key, optionally a CA
whose certificates clients must present (mutual TLS); on the client side a CA to trust
and optionally the client's own certificate and key. Guarantees: every file is read
once, up front, and a missing, unreadable or non-PEM one raises ``TlsConfigError``
naming it (the server then refuses to start); with a client CA, the server requires and verifies a client
certificate on every connection, so a client without one never reaches any RPC.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc


class TlsConfigError(ValueError):
    """A TLS file is missing or unreadable, or the options do not go together."""


def read_pem(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TlsConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from exc
    if b"-----BEGIN " not in data:
        raise TlsConfigError(f"{path}: the {what} is not PEM (no '-----BEGIN' line)")
    return data


@dataclass(frozen=True)
class ServerTls:
    """The server's certificate chain and key, and the CA of accepted client certificates (mTLS), as PEM."""

    cert_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None
    files: tuple[Path, Path, Path | None] | None = None  # where they were read from (the HTTP port reads them too)

    @classmethod
    def from_options(cls, cert: Path | None, key: Path | None, client_ca: Path | None) -> ServerTls | None:
        """The files read now; None when no TLS option is given; ``TlsConfigError`` for half a configuration."""
        if cert is None and key is None:
            if client_ca is not None:
                raise TlsConfigError("--tls-client-ca needs --tls-cert and --tls-key")
            return None
        if cert is None or key is None:
            raise TlsConfigError("--tls-cert and --tls-key go together")
        return cls(
            read_pem(cert, "certificate"),
            read_pem(key, "private key"),
            read_pem(client_ca, "client CA") if client_ca is not None else None,
            (cert, key, client_ca),
        )

    def credentials(self) -> Any:
        """``grpc.ServerCredentials``; client certificates are required when ``client_ca`` is set."""
        return grpc.ssl_server_credentials(
            [(self.private_key, self.cert_chain)],
            root_certificates=self.client_ca,
            require_client_auth=self.client_ca is not None,
        )


def channel_credentials(ca: Path | None = None, cert: Path | None = None, key: Path | None = None) -> Any:
    """``grpc.ChannelCredentials`` trusting ``ca`` (system roots when None), with a client certificate if given."""
    if (cert is None) != (key is None):
        raise TlsConfigError("--tls-cert and --tls-key go together")
    return grpc.ssl_channel_credentials(
        root_certificates=read_pem(ca, "CA certificate") if ca is not None else None,
        private_key=read_pem(key, "private key") if key is not None else None,
        certificate_chain=read_pem(cert, "certificate") if cert is not None else None,
    )
