"""Kibana saved objects: generated from the index mappings, imported with `regwatch kibana import`."""
