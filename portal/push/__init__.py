"""Web push: notifications on a phone or computer for status updates, for devices that opt in."""

from portal.push import sender as sender  # Hands the outbox its web push provider.
