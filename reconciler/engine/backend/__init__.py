"""What knows Pulumi's DIY backend layout: the bulk state reader, lock files, records."""
