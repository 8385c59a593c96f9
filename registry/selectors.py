"""Reads of the registry for pages, APIs and the resolver."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from registry import formats
from registry.models import Alias, AliasMove, ModelVersion, RegisteredModel
from registry.usage import UsageRef, usages_of


def model_list(
    *, search: str = "", owner: str = "", format: str = "", team: str = ""
) -> QuerySet[RegisteredModel]:
    """Models with their latest version number, version count and aliases.

    ``owner`` is a username; ``format`` keeps the models with at least one
    version in that format; ``team`` is the owning team's name.
    """
    models = RegisteredModel.objects.select_related("owner", "team").annotate(
        latest_number=Max("versions__number"), version_count=Count("versions")
    )
    # PostgreSQL refuses NUL in any text parameter; no stored text holds one.
    search = search.replace("\x00", "")
    if "\x00" in owner + format:
        return models.none()
    if owner:
        models = models.filter(owner__username=owner)
    if format:
        # Exists, not a join: a join on versions would disturb the counts.
        versions = ModelVersion.objects.filter(model=OuterRef("pk"), format=format)
        models = models.filter(Exists(versions))
    if search:
        models = models.filter(
            Q(name__icontains=search)
            | Q(title__icontains=search)
            | Q(description__icontains=search)
        )
    if team:
        models = models.filter(team__name=team.replace("\x00", ""))
    aliases = Alias.objects.select_related("version").order_by("name")
    return models.prefetch_related(Prefetch("aliases", queryset=aliases)).order_by(
        "name"
    )


def model_get(*, name: str) -> RegisteredModel:
    """The model called ``name`` or a 404."""
    return get_object_or_404(
        RegisteredModel.objects.select_related("owner", "team"), name=name
    )


def version_list(*, model: RegisteredModel) -> QuerySet[ModelVersion]:
    return (
        model.versions.select_related("uploaded_by")
        .prefetch_related("aliases")
        .order_by("-number")
    )


def version_get(*, model: RegisteredModel, number: int) -> ModelVersion:
    return get_object_or_404(
        ModelVersion.objects.select_related("model", "uploaded_by"),
        model=model,
        number=number,
    )


def version_latest(*, model: RegisteredModel) -> ModelVersion | None:
    return model.versions.order_by("-number").first()


def version_by_reference(*, name: str, reference: int | str) -> ModelVersion:
    """The version a chain reference means: a number, ``@latest`` or ``@alias``.

    Raises ``ModelVersion.DoesNotExist`` or ``RegisteredModel.DoesNotExist``.
    """
    model = RegisteredModel.objects.get(name=name)
    versions = ModelVersion.objects.select_related("model", "endpoint")
    versions = versions.filter(model=model)
    if isinstance(reference, str) and reference.startswith("@"):
        alias = reference[1:]
        if alias == "latest":
            found = versions.order_by("-number").first()
            if found is None:
                raise ModelVersion.DoesNotExist(f"'{name}' has no versions")
            return found
        return versions.get(aliases__name=alias)
    return versions.get(number=int(reference))


#: The largest version number the database holds (a PositiveIntegerField).
MAX_NUMBER = 2**31 - 1


Reference = tuple[str, int | str]

#: What ``registry.resolver.RegistryResolver.resolve`` reads of a version; the
#: rest (texts, JSON, its endpoint) is loaded on use, not read and decoded for
#: nothing on every run submission.
RESOLVING = (
    "model",
    "number",
    "format",
    "file",
    "sha256",
    "signature",
    "trusted",
    "python_version",
    "sklearn_version",
    "numpy_version",
    "load_warnings",
    "trained_on",
    "out_of_fold",
)


def versions_by_references(refs: set[Reference]) -> dict[Reference, ModelVersion]:
    """What ``version_by_reference`` gives for each of ``refs``, in one query
    for the aliases (their versions joined) and one for numbers and ``@latest``;
    a reference naming nothing is left out."""
    aliases = {(n, r) for n, r in refs if isinstance(r, str) and r != "@latest"}
    numbers = {(n, r) for n, r in refs if isinstance(r, int) and 0 < r <= MAX_NUMBER}
    latest = {n for n, r in refs if r == "@latest"}
    found: dict[Reference, ModelVersion] = {}
    if aliases:
        pointing = (
            Alias.objects.select_related("model", "version")
            .only("name", "model__name", *(f"version__{name}" for name in RESOLVING))
            .filter(
                model__name__in={n for n, _ in aliases},
                name__in={str(r)[1:] for _, r in aliases},
            )
        )
        for alias in pointing:
            ref: Reference = (alias.model.name, f"@{alias.name}")
            if ref in aliases:
                found[ref] = alias.version
    if numbers or latest:
        newer = ModelVersion.objects.filter(
            model_id=OuterRef("model_id"), number__gt=OuterRef("number")
        )
        wanted = Q(
            model__name__in={n for n, _ in numbers},
            number__in={r for _, r in numbers},
        ) | Q(Q(model__name__in=latest), ~Exists(newer))
        rows = (
            ModelVersion.objects.select_related("model")
            .only("model__name", *RESOLVING)
            .filter(wanted)
        )
        for row in rows:
            if (row.model.name, row.number) in numbers:
                found[(row.model.name, row.number)] = row
            if row.model.name in latest:
                best = found.get((row.model.name, "@latest"))
                if best is None or row.number > best.number:
                    found[(row.model.name, "@latest")] = row
    return found


def alias_history(*, model: RegisteredModel, limit: int = 20) -> list[AliasMove]:
    moves = AliasMove.objects.select_related("from_version", "to_version", "moved_by")
    return list(moves.filter(model=model)[:limit])


def aliases_elsewhere(*, version: ModelVersion) -> list[str]:
    """The model's aliases that do not point at ``version`` (``production`` when
    the model has none yet): where this version could go live next."""
    names = list(
        Alias.objects.filter(model_id=version.model_id)
        .exclude(version=version)
        .order_by("name")
        .values_list("name", flat=True)
    )
    if not Alias.objects.filter(model_id=version.model_id).exists():
        names = ["production"]
    return names


def version_warnings(*, version: ModelVersion) -> list[str]:
    """Compatibility warnings between the saving and the installed libraries."""
    return formats.compat_warnings(
        python=version.python_version,
        sklearn_version=version.sklearn_version,
        numpy_version=version.numpy_version,
        load_warnings=list(version.load_warnings),
    )


def model_usages(*, model: RegisteredModel) -> list[UsageRef]:
    return usages_of(model)


def trust_history(*, version: ModelVersion) -> list[Any]:
    return list(version.trust_records.select_related("trusted_by"))
