"""``python -m wallet_demo --host 127.0.0.1 --port 8001 [--service-scheme http|https]``.

Command-line options win over the ``WALLET_DEMO_*`` environment. The wallet's key is opened
before serving, so a wrong wallet secret stops it with a clear message instead of failing at the
first offer.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import uvicorn

from wallet_demo.app import create_app
from wallet_demo.config import WalletSettings
from wallet_demo.errors import WalletError

__all__ = ["main"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wallet_demo", description="The skills-vc demo wallet.")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8001)")
    parser.add_argument(
        "--service-scheme",
        choices=("http", "https"),
        help="scheme used to fetch did:web documents (default: that of the service the offer came from)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    overrides: dict[str, Any] = {
        name: value
        for name, value in (("host", args.host), ("port", args.port), ("service_scheme", args.service_scheme))
        if value is not None
    }
    settings = WalletSettings(**overrides)
    try:
        app = create_app(settings)
        app.state.wallet.check_secret()
    except (WalletError, ValueError) as exc:
        print(f"wallet_demo: {exc}", file=sys.stderr)
        return 2
    print(f"Demo wallet: {settings.url}  (database {settings.database_path})", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
