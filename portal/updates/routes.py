"""The notification centre (/updates), its settings, and the live banner stream."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
