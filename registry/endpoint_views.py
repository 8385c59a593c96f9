"""The page that records a model served elsewhere as a version."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.exceptions import CatenaAppError
from registry import endpoint_runtime
from registry.endpoint_forms import EndpointForm
from registry.models import RegisteredModel
from registry.services import endpoints
from registry.views import _errors_to_form, _status


def endpoint_add(request: HttpRequest) -> HttpResponse:
    """A new model served at a URL, or a new endpoint version of an existing one."""
    initial = {"name": request.GET.get("model", "")}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        model = RegisteredModel.objects.filter(name=name).first()
        try:
            if model is None:
                version = endpoints.endpoint_model_create(
                    name=name, owner=request.user, spec=form.spec()
                )
            else:
                version = endpoints.endpoint_version_create(
                    model=model, spec=form.spec(), uploaded_by=request.user
                )
        except (ValidationError, CatenaAppError) as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request, f"Recorded {version} at {form.cleaned_data['url']}."
            )
            return redirect(version.get_absolute_url())
    context = {"form": form, "allowed": endpoint_runtime.allow_list()}
    return render(request, "registry/endpoint.html", context, status=_status(form))
