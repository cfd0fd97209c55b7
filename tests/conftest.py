"""Shared test settings."""

from hypothesis import settings

# Property tests run on every `make test`; keep them quick and free of flaky deadlines.
settings.register_profile("qv", max_examples=60, deadline=None)
settings.load_profile("qv")
