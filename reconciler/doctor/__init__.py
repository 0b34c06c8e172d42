"""`reconciler doctor`: read-only checks of a live set-up, each problem named with its fix.

`gcp` holds the checks of the Google Cloud project(s) (`CHECKS`), reading through the port
in `gcp_reader`.
"""
