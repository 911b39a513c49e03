"""Telling people things: email and SMS through an outbox, and messages in their account."""
