"""Every way to reach a person."""
