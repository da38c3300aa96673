"""Reads of the beneficiary import pages: a professional sees only the imports they made."""

from django.shortcuts import get_object_or_404

from .models import BeneficiaryImport


def my_imports(scope, limit: int = 10):
    if scope.territory is None:
        return BeneficiaryImport.objects.none()
    return (
        BeneficiaryImport.objects.filter(created_by=scope.user, territory=scope.territory)
        .select_related("organisation")
        .order_by("-created_at")[:limit]
    )


def get_import(scope, pk: int) -> BeneficiaryImport:
    """The import ``pk`` if the user made it in the current territory; else 404 (not 403)."""
    return get_object_or_404(
        BeneficiaryImport.objects.select_related("organisation"),
        pk=pk,
        created_by=scope.user,
        territory=scope.territory,
    )
