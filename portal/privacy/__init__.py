"""Your data: a copy of everything we hold, and the history of what you agreed to."""
