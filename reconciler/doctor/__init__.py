"""`reconciler doctor`: named checks of what the repository's set-up must hold, each
returning the problems it found with their fix.

- `checks`: the `Check` and `Problem` types, the context a check reads, and the runner.
- `github`: the repository's branch protection (or rulesets) and environments, read
  through the REST API.

- `registry`: every check, in order. Another module of checks (e.g. the Google Cloud
  project's) adds its `CHECKS` there and nothing else changes.
"""
