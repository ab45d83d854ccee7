"""Reminders: e-mails about a cycle's dates and the actions agreed in it, sent exactly once.

See ``models`` (the outbox), ``services`` (planning), ``delivery`` (claim and send), ``cadence``
(working days and hours), ``mail`` (rendering), ``tasks`` (beat and workers), ``hooks`` (plan
right after a cycle's dates change) and the README's Reminders section.
"""
