"""Bearer tokens: where the server's accepted tokens come from, and how one is checked.

Takes: a token file (one token per line; blank lines and lines starting with ``#`` are
skipped) and/or the ``RUBRIC_TOKENS`` environment variable (comma-separated); a call's
metadata. Guarantees:

* ``TokenSet.accepts`` compares the SHA-256 of the presented token with that of every
  accepted token using ``hmac.compare_digest`` and always looks at all of them, so the
  time taken says nothing about which token, or how much of one, matched;
* a token is never logged or put in an error message;
* ``load_tokens`` raises ``TokenConfigError`` (with a message for the operator) when a
  token file cannot be read or names no token, so the server refuses to start rather
  than run open by mistake; it returns ``None`` when no source is configured (no check).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_TOKENS = "RUBRIC_TOKENS"
HEADER = "authorization"
SCHEME = "bearer"


class TokenConfigError(ValueError):
    """The configured tokens cannot be used (unreadable file, no token in it)."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class TokenSet:
    """The tokens a server accepts, kept only as digests."""

    digests: tuple[bytes, ...]

    @classmethod
    def of(cls, tokens: Iterable[str]) -> TokenSet:
        return cls(tuple(_digest(t) for t in dict.fromkeys(tokens)))

    def __len__(self) -> int:
        return len(self.digests)

    def accepts(self, presented: str) -> bool:
        """Whether ``presented`` is one of the tokens, in time independent of which."""
        candidate = _digest(presented)
        matched = False
        for digest in self.digests:
            matched |= hmac.compare_digest(candidate, digest)
        return matched


def bearer_token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The token of the first ``authorization: Bearer <token>`` entry, or None."""
    for key, value in metadata or ():
        if key.lower() != HEADER or not isinstance(value, str):
            continue
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() == SCHEME and token.strip():
            return token.strip()
        return None
    return None


def read_token_file(path: Path) -> list[str]:
    """The tokens in ``path``: one per line, blank lines and ``#`` comments skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise TokenConfigError(f"{path}: cannot read the token file: {exc}") from exc
    tokens = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not tokens:
        raise TokenConfigError(f"{path}: the token file names no token (one token per line)")
    return tokens


def readable_by_others(path: Path) -> bool:
    """Whether group or others may read the file (worth a warning for a token file)."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


def load_tokens(token_file: Path | None, environ: Mapping[str, str] | None = None) -> TokenSet | None:
    """The tokens from ``token_file`` and ``$RUBRIC_TOKENS`` together; None when neither is set."""
    env = os.environ if environ is None else environ
    from_env = [t.strip() for t in env.get(ENV_TOKENS, "").split(",") if t.strip()]
    if token_file is None and ENV_TOKENS not in env:
        return None
    if token_file is None and not from_env:
        raise TokenConfigError(f"${ENV_TOKENS} is set but names no token (comma-separated tokens)")
    tokens = [*(read_token_file(token_file) if token_file is not None else []), *from_env]
    return TokenSet.of(tokens)
