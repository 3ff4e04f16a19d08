"""``/static/``: plotly.js (from the installed plotly package), the app's own files, the icon."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/static/plotly.js")
def plotly_js(request: Request) -> Response:
    """The plotly.js bundle (read once per app; the pages request nothing outside this server)."""
    return Response(
        request.app.state.plotly_js,
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The icon, for pages that name none (the full report); browsers ask for it."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


def mount_static(app: FastAPI) -> None:
    """Serve ``/static/plotly.js`` and the files of ``web/static/`` (in that order)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
