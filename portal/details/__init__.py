"""Your contact details, with a code to the new email or phone before a change takes effect."""
