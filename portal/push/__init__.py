"""Web push: notifications on a phone or computer for status updates, for devices that opt in."""
