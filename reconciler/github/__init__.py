"""GitHub as the reconciler reads it: the REST client, CODEOWNERS, a merged pull request's
approval, the pull request a preview belongs to, and the repository's protection settings.

A low layer (beside `reconciler.gcp`): nothing here imports the manifests, the engine or
the reconcile loop; callers hand in plain data (paths, owners, commits).

- `api`: one repository on one API endpoint, with the token that may read or write it.
- `codeowners`: GitHub's CODEOWNERS rules (parse, match, render), pure.
- `approval`: whether a merged commit was approved as the deploy requires (pure decision,
  plus the reads that feed it).
- `binding`: which open pull request a preview run belongs to (its base is main, its head
  is the run's head).
- `pull_tree`: a pull request's `tenants/` read from git objects, never checked out.
- `protection`: the branch protection, rulesets and environments `reconciler doctor` reads.
"""
