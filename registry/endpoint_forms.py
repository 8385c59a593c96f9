"""The form of an endpoint version; the rules live in services.endpoints."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.validators import validate_slug

from registry import services
from registry.models import RemoteEndpoint
from registry.remote import config
from registry.services import endpoints

SIGNATURE_MAX_CHARS = 200_000


class EndpointForm(forms.Form):
    name = forms.CharField(
        max_length=services.NAME_MAX_LENGTH,
        validators=[validate_slug],
        help_text="A new model, or an existing one to add a version to.",
    )
    url = forms.CharField(
        label="URL",
        max_length=endpoints.URL_MAX_LENGTH,
        help_text="V2: the model URL, e.g. https://models.example.com/v2/models/ranker"
        " (its metadata is fetched from it). JSON records: the URL rows are POSTed to.",
        widget=forms.TextInput(attrs={"placeholder": "https://"}),
    )
    protocol = forms.ChoiceField(choices=RemoteEndpoint.Protocol.choices)
    signature = forms.CharField(
        required=False,
        max_length=SIGNATURE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for JSON records; for V2 only when the server has no "
        'metadata. {"inputs": [["x", "float"]], "outputs": [["y", "float"]]}',
    )
    secret = forms.ChoiceField(
        required=False,
        help_text="Sent as the auth header; its value stays on the server.",
    )
    auth_header = forms.CharField(max_length=100, initial="Authorization")
    timeout = forms.FloatField(
        initial=30.0,
        min_value=endpoints.TIMEOUT_RANGE[0],
        max_value=endpoints.TIMEOUT_RANGE[1],
        help_text="Seconds for one request.",
    )
    batch_size = forms.IntegerField(
        initial=1000,
        min_value=endpoints.BATCH_RANGE[0],
        max_value=endpoints.BATCH_RANGE[1],
        help_text="Rows per request.",
    )
    parallel = forms.IntegerField(
        initial=4,
        min_value=endpoints.PARALLEL_RANGE[0],
        max_value=endpoints.PARALLEL_RANGE[1],
        help_text="Requests in flight at once.",
    )
    notes = forms.CharField(
        required=False,
        max_length=services.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = config.secret_names()
        self.fields["secret"].choices = [("", "none")] + [(n, n) for n in names]  # type: ignore[attr-defined]

    def clean_signature(self) -> dict[str, Any] | None:
        text = self.cleaned_data.get("signature", "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError(
                'Give a JSON object: {"inputs": ..., "outputs": ...}.'
            )
        return value

    def spec(self) -> endpoints.EndpointInput:
        data = self.cleaned_data
        names = ["url", "protocol", "signature", "secret", "auth_header"]
        names += ["timeout", "batch_size", "parallel", "notes"]
        return endpoints.EndpointInput(**{n: data[n] for n in names})
