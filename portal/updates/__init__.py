"""Proactive status updates: one record per update, delivered on the channels each person chose."""
