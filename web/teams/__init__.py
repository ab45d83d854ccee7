"""Microsoft Teams notifications: a channel's Workflows webhook beside e-mail (issue 19)."""
