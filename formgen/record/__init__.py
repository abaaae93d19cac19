"""The record: its model, types, identifiers, 字数, findings, reference data, the YAML reader and record paths."""
