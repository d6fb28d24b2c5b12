"""regwatch: alerts on new blockchain / distributed-ledger standards and drafts."""
