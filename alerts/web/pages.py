"""The e-mail subscriber's pages: one-click unsubscribe and the manage page, behind signed links."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
