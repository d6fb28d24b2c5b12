"""Slack's endpoints: the /regwatch slash command and the alert buttons (interactivity)."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
