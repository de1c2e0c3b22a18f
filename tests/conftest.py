"""Suite-wide settings."""

import os

from hypothesis import settings

# On CI, property tests explore the same examples every run, so a red build is reproducible
# (and a green one is not luck); locally they keep searching new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
