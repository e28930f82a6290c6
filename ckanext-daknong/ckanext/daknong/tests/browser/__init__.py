"""Tests in a real headless Chromium (issue 12 §6, §8): journeys through the portal's pages and
accessibility checks with axe-core. `make test` installs Debian's ``chromium`` and
``chromium-driver`` and the npm package ``axe-core`` (package.json at the repository root)."""
