"""The engine: the port the reconcile stages drive, its Pulumi adapter, and what knows
Pulumi's backend layout (state, locks, records)."""
