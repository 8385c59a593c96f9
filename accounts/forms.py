"""Forms of the account pages."""

from __future__ import annotations

from django import forms


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        required=False,
        help_text="What the token is for, e.g. the script or machine that uses it.",
    )
