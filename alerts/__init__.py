"""The people edge: subscriptions, matching, rendering, delivery and the ledger."""
