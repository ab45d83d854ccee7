"""The cycle flow's rules as plain functions, for the pages, the API and other areas to call.

- ``templates``: the memo's dialogue guide as the default template; copying and editing.
- ``cycles``: starting cycles and campaigns, phase moves, the next cycle, who takes part.
- ``contributions``: members' answers during preparation.
- ``meeting``: the team's shared answers and the conclusions per prompt.
- ``actions``: the agreed actions: recording them, their status and follow-up.

Every function takes the acting user (when one acts) and the rows it works on, validates all
of its input first and raises ``web.errors.InputError`` (bad input) or ``Conflict`` (the cycle's
state does not allow it) before writing anything; then it writes and
flushes. The caller (a request, a task, a command) commits once. Permissions are checked by the
caller with ``web.permissions.require`` before calling; the services enforce the rules that
depend on data (phases, dates, membership).
"""
