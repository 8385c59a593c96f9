from __future__ import annotations

from django import forms

from builder.models import NAME_MAX_LENGTH
from registry import services as registry_services


class ChainForm(forms.Form):
    name = forms.SlugField(
        max_length=NAME_MAX_LENGTH,
        help_text="Letters, digits, '-' and '_'; used in URLs and the API.",
    )
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=registry_services.TEXT_MAX_LENGTH,
    )


class DiffForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)
