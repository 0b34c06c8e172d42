"""The sandbox's stand-in for the pulumi-gcp provider plugin, one module per resource family.

`server` is the plugin's entry (served by `sandbox/bin/pulumi-resource-gcp`); `resource`
holds what all types share; `tenant`, `idpconfigs`, `storage`, `serviceaccount`, `iam` and
`secretmanager` hold the types; `identitytoolkit` talks to the Auth emulator and `store` to
the SQLite file; `validation` has the real APIs' input rules and `faults` SANDBOX_FAULTS.
"""
