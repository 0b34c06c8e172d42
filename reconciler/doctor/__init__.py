"""`reconciler doctor`: read-only checks of a live set-up, each problem named with its fix.

- `problems`: the one `Problem` type (the check's name, what is wrong, the fix).
- `checks`: the `Check` and its `Context` (what a check may read, built at the CLI's edge),
  `Result`, the runner and the text it prints. A check that cannot look is a problem; one
  with nothing to look at (`Skip`) says why and is not.
- `github`: the repository's branch protection (or rulesets) and environments, read through
  the REST API.
- `gcp`: the Google Cloud project(s) against the blueprint platform.yaml describes
  (`gcp_policies` for the IAM policies), read through the port in `gcp_reader`; `gcp_run`
  builds what they read, or the reason they are skipped (a sandbox platform.yaml, no set-up,
  no Google credentials).
- `registry`: every check, in order.
"""
