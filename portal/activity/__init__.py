"""The activity log: who did what, for whom, and when."""
