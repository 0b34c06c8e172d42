"""The command line: parsing at the edge into typed options, then the commands."""
