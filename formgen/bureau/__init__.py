"""The bureau's tools: checklists, problem lists and notices, the registry, the annual report."""
