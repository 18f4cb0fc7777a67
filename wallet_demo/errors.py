"""One error family for everything the wallet shows a person instead of a page.

``code`` selects the translated message (see :mod:`wallet_demo.i18n`); ``detail`` is English for
the log and the report, never shown as the only explanation. ``status`` is the HTTP status of the
page that explains it, so nothing the service or a link does can turn into a 500.
"""

from __future__ import annotations

__all__ = ["WalletError"]


class WalletError(Exception):
    """Something the volunteer must be told about, in their language."""

    def __init__(self, code: str, detail: str, *, status: int = 400) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
