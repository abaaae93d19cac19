"""Packs: the typed layout model (manifests and layouts, checked when a pack loads) and the
pack itself (its documents, labels and rule settings). The field catalogue, which also asks
the rules what they read, is :mod:`formgen.catalogue`, above both."""
