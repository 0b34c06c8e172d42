"""The Pulumi Automation API adapter: the only package that imports `pulumi.automation`."""
