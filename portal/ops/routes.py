"""Incident publishing for operations staff (/ops) and the public service status page (/status)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
