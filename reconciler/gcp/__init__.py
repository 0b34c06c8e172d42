"""Small REST clients for the Google APIs the provider does not cover (no Pulumi import)."""
