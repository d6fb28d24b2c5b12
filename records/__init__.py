"""The records that cross stage boundaries: a fetched item, a Notice and its vocabularies,
and the settings with their defaults.

The bottom layer: ``connectors`` and ``transforms`` both import it, and it imports neither
(nothing beyond the standard library), so the two stay independent of each other.
"""
