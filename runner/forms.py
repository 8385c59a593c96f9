from __future__ import annotations

import json
from typing import Any

from django import forms

from runner.models import Run


class RunStartForm(forms.Form):
    chain = forms.SlugField(max_length=80)
    version = forms.IntegerField(min_value=1, required=False)
    dataset = forms.IntegerField(required=False)
    rows = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Or rows as JSON: [{"price": 9.5, "shape": "round"}]',
    )
    reuse_from = forms.IntegerField(required=False)
    until = forms.CharField(max_length=64, required=False)
    fresh = forms.BooleanField(
        required=False, help_text="Compute every node even when its output is stored."
    )

    def clean_rows(self) -> list[dict[str, Any]] | None:
        text = self.cleaned_data["rows"].strip()
        if not text:
            return None
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"The rows are not JSON: {exc}") from exc
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise forms.ValidationError("Give a JSON list of objects, one per row.")
        return rows


class RunFilterForm(forms.Form):
    chain = forms.CharField(required=False)
    status = forms.ChoiceField(
        choices=[("", "any status"), *Run.Status.choices], required=False
    )
    user = forms.CharField(required=False)


class CompareForm(forms.Form):
    a = forms.IntegerField()
    b = forms.IntegerField()


class DatasetUploadForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(help_text="CSV or Parquet.")
