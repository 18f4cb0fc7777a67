"""One mapper bundle per test session: loading the index and the encoder takes about a second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from skills_vc.services import mapping


@pytest.fixture(scope="session")
def bundle() -> Iterator[mapping.MapperBundle]:
    loaded = mapping.load_bundle()
    previous = mapping._bundle
    mapping._bundle = loaded
    yield loaded
    mapping._bundle = previous
