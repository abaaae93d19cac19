"""The bureau's intake: enterprises submit their records online through a link of their own,
get every finding at once and, when clean, a receipt (回执); clerks log in to see the round's
submissions, set their state and send 整改通知.

Layers: :mod:`.db` (the intake's tables in the registry database, clerks, invites,
submissions, the audit log), :mod:`.check` (an uploaded file checked as ``formgen validate``
checks it), :mod:`.receipt` (the 回执), :mod:`.web` (the Flask application ``formgen intake
serve`` runs under waitress).
"""
