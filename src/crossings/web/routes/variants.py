"""``/api/variants``: a built-in scenario's overrides saved under a name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from crossings.web.deps import INVALID, Variants, builtin_or_404, variant_or_404
from crossings.web.loading import load_request
from crossings.web.models import ErrorOut, SavedVariant, SaveVariantRequest, ValidateRequest
from crossings.web.strictjson import StrictJSONRoute
from crossings.web.variants import VariantExistsError

router = APIRouter(route_class=StrictJSONRoute, tags=["variants"], responses=INVALID)


@router.post(
    "/api/variants",
    response_model=SavedVariant,
    status_code=201,
    responses={
        409: {"model": ErrorOut, "description": "the name is taken"},
        422: {"model": ErrorOut, "description": "invalid name or scenario"},
    },
)
def save_variant(req: SaveVariantRequest, variants: Variants) -> dict[str, Any]:
    """Validate a scenario's overrides and save them under a name.

    A name already saved for the scenario gives 409 unless ``replace`` is true.
    """
    load_request(ValidateRequest(scenario=req.scenario, overrides=req.overrides))
    try:
        return variants.save(
            req.scenario, req.name, req.description, dict(req.overrides), replace=req.replace
        )
    except VariantExistsError:
        raise HTTPException(
            409,
            detail=f"a variant '{req.name}' of '{req.scenario}' "
            "is already saved; send replace: true to overwrite it",
        ) from None


@router.get(
    "/api/variants", response_model=list[SavedVariant], responses={404: {"model": ErrorOut}}
)
def list_variants(
    variants: Variants, scenario: Annotated[str, Query(max_length=100)]
) -> list[dict[str, Any]]:
    """The variants saved for a built-in scenario, by name."""
    builtin_or_404(scenario)
    return variants.list_for(scenario)


@router.get(
    "/api/variants/{scenario}/{name}",
    response_model=SavedVariant,
    responses={404: {"model": ErrorOut}},
)
def get_variant(scenario: str, name: str, variants: Variants) -> dict[str, Any]:
    """One saved variant."""
    return variant_or_404(variants, scenario, name)


@router.delete(
    "/api/variants/{scenario}/{name}", status_code=204, responses={404: {"model": ErrorOut}}
)
def delete_variant(scenario: str, name: str, variants: Variants) -> Response:
    """Remove a saved variant."""
    variant_or_404(variants, scenario, name)
    if not variants.delete(scenario, name):  # pragma: no cover - a race
        raise HTTPException(404, detail=f"unknown saved variant {name} of '{scenario}'")
    return Response(status_code=204)
