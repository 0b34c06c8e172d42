"""The harness that runs the project's real workflow files under nektos/act (host mode).

- `runner`: one act invocation (curated environment, stand-in actions, JSON log parsing).
- `github_api`: the fake GitHub REST API the workflows' comment and issue steps talk to.
- `origin`: the repository "on GitHub" (a bare git repository the checkout stand-in
  fetches from) and the pull-request / push events built from its commits.
- `artifacts`: the upload/download-artifact stand-ins' rules (copied into the stand-ins).

docs/workflows.md says how to write a scenario and what an act run does not prove.
"""
