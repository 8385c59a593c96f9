"""Pages of the registry: list, upload, model, version; thin over services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.teams import team_list
from config.exceptions import CatenaAppError
from registry import selectors, services
from registry.downloads import version_file_response
from registry.forms import AliasForm, ModelUploadForm, VersionUploadForm
from registry.impact import impact_of
from registry.models import ModelVersion
from registry.usage import chains_using_counts

PAGE_SIZE = 20


def model_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    owner = request.GET.get("owner", "").strip()
    fmt = request.GET.get("format", "")
    team = request.GET.get("team", "").strip()
    formats = ModelVersion.Format
    # An unknown format matches no version: an empty list, not an error.
    found = selectors.model_list(search=search, owner=owner, format=fmt, team=team)
    models = found if not fmt or fmt in formats.values else found.none()
    page = Paginator(models, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = chains_using_counts([m.name for m in page.object_list])
    rows = [(m, counts[m.name]) for m in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "search": search,
        "owner": owner,
        "format": fmt,
        "formats": formats.choices,
        "query": query.urlencode(),
        "filtered": bool(search or owner or fmt or team),
        "team": team,
        "teams": team_list(user=request.user),
    }
    return render(request, "registry/model_list.html", context)


def model_upload(request: HttpRequest) -> HttpResponse:
    """Register a new model with its first version."""
    form = ModelUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        fields = form.version_fields()
        try:
            version = services.registered_model_upload(
                name=form.cleaned_data["name"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                owner=request.user,
                **fields,
            )
        except (ValidationError, CatenaAppError) as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"Registered {version}.")
            return redirect(version.get_absolute_url())
    context = {"form": form, "model": None, **_upload_context()}
    return render(request, "registry/upload.html", context, status=_status(form))


def version_upload(request: HttpRequest, name: str) -> HttpResponse:
    model = selectors.model_get(name=name)
    form = VersionUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.model_version_create(
                model=model, uploaded_by=request.user, **form.version_fields()
            )
        except (ValidationError, CatenaAppError) as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"Uploaded {version}.")
            return redirect(version.get_absolute_url())
    context = {
        "form": form,
        "model": model,
        "can_change": services.can_change(model=model, user=request.user),
        **_upload_context(),
    }
    return render(request, "registry/upload.html", context, status=_status(form))


def _upload_context() -> dict[str, Any]:
    return {
        "version_fields": ("python_version", "sklearn_version", "numpy_version"),
        "max_bytes": services.max_upload_bytes(),
        "max_mb": settings.CATENA_MAX_UPLOAD_MB,
    }


def _status(form: Form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _errors_to_form(form: Form, exc: ValidationError | CatenaAppError) -> None:
    if isinstance(exc, CatenaAppError):
        field = exc.extra.get("field")
        form.add_error(field if field in form.fields else None, exc.message)
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error)


def model_detail(request: HttpRequest, name: str) -> HttpResponse:
    model = selectors.model_get(name=name)
    versions = list(selectors.version_list(model=model))
    latest = versions[0] if versions else None
    context = {
        "model": model,
        "versions": versions,
        "latest": latest,
        "latest_warnings": selectors.version_warnings(version=latest) if latest else [],
        "aliases": model.aliases.select_related("version", "moved_by"),
        "moves": selectors.alias_history(model=model),
        "usages": selectors.model_usages(model=model),
        "can_change": services.can_change(model=model, user=request.user),
        "can_give": services.can_give(model=model, user=request.user),
        "teams": team_list(user=request.user),
        "alias_form": AliasForm(initial={"version": latest.number if latest else 1}),
    }
    return render(request, "registry/model_detail.html", context)


def version_detail(request: HttpRequest, name: str, number: int) -> HttpResponse:
    model = selectors.model_get(name=name)
    version = selectors.version_get(model=model, number=number)
    context: dict[str, Any] = {
        "model": model,
        "version": version,
        "warnings": selectors.version_warnings(version=version),
        "trust_records": selectors.trust_history(version=version),
        "aliases": [a.name for a in version.aliases.all()],
        "is_latest": version == selectors.version_latest(model=model),
        "impacts": [
            impact_of(version=version, alias=alias).as_dict()
            for alias in selectors.aliases_elsewhere(version=version)
        ],
        "can_change": services.can_change(model=model, user=request.user),
    }
    return render(request, "registry/version_detail.html", context)


def version_download(request: HttpRequest, name: str, number: int) -> HttpResponseBase:
    model = selectors.model_get(name=name)
    version = selectors.version_get(model=model, number=number)
    return version_file_response(version)


@require_POST
def alias_set(request: HttpRequest, name: str) -> HttpResponse:
    """Move an alias; a move that would break a live chain asks to confirm."""
    model = selectors.model_get(name=name)
    form = AliasForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors_text(form))
        return redirect(model.get_absolute_url())
    try:
        alias = services.alias_set(
            model=model,
            alias=form.cleaned_data["alias"],
            number=form.cleaned_data["version"],
            user=request.user,
            force=form.cleaned_data["force"],
        )
    except CatenaAppError as exc:
        if "impact" in exc.extra:
            return _alias_confirm(request, model, form, exc)
        messages.error(request, _exc_text(exc))
    except ValidationError as exc:
        messages.error(request, _exc_text(exc))
    else:
        number = alias.version.number
        messages.success(request, f"@{alias.name} now points at v{number}.")
    return redirect(model.get_absolute_url())


def _alias_confirm(
    request: HttpRequest, model: Any, form: AliasForm, exc: CatenaAppError
) -> HttpResponse:
    context = {
        "model": model,
        "alias": form.cleaned_data["alias"],
        "number": form.cleaned_data["version"],
        "impact": exc.extra["impact"],
    }
    return render(request, "registry/alias_confirm.html", context, status=409)


@require_POST
def model_team(request: HttpRequest, name: str) -> HttpResponse:
    """Give the model to the posted team (empty: to no team)."""
    model = selectors.model_get(name=name)
    try:
        model = services.registered_model_team_set(
            model=model, team=request.POST.get("team", ""), user=request.user
        )
    except CatenaAppError as exc:
        messages.error(request, exc.message)
    else:
        owner = f"team {model.team.name}" if model.team else "no team"
        messages.success(request, f"{model.name} now belongs to {owner}.")
    return redirect(model.get_absolute_url())


@require_POST
def version_trust(request: HttpRequest, name: str, number: int) -> HttpResponse:
    model = selectors.model_get(name=name)
    version = selectors.version_get(model=model, number=number)
    types = request.POST.getlist("types")
    try:
        services.model_version_trust(version=version, user=request.user, types=types)
    except (ValidationError, CatenaAppError) as exc:
        messages.error(request, _exc_text(exc))
    else:
        messages.success(request, f"{version} is trusted and can run in chains.")
    return redirect(version.get_absolute_url())


def _form_errors_text(form: Form) -> str:
    return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())


def _exc_text(exc: ValidationError | CatenaAppError) -> str:
    if isinstance(exc, CatenaAppError):
        return exc.message
    return "; ".join(exc.messages)
