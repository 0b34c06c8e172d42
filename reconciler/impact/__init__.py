"""The impact of a code change on the fleet, before merge and without any credential.

`capture` runs the tenant program of one checkout for every tenant under Pulumi's mocks
(`pulumi.runtime`, not the Automation API) and writes each tenant's resource graph;
`graph` is that graph as data; `diff` compares the base's graphs with the head's (pure);
`contract` says which input changes replace a resource; `summary` groups tenants by
identical change and renders the fleet line, the comment and the job summary; `runner`
prepares the base checkout and starts the two captures. The impact is computed by the
pull request's own code: an aid to honest review, not a control (docs/security.md).
"""
