from __future__ import annotations

from typing import Any

from django import forms

from config.parsers import json_loads
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
            rows = json_loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"The rows are not JSON: {exc}") from exc
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise forms.ValidationError("Give a JSON list of objects, one per row.")
        return rows


class RunFilterForm(forms.Form):
    chain = forms.CharField(required=False, max_length=80)
    status = forms.ChoiceField(
        choices=[("", "any status"), *Run.Status.choices], required=False
    )
    user = forms.CharField(required=False, max_length=150)
    dataset = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class DatasetFilterForm(forms.Form):
    search = forms.CharField(required=False, max_length=200)
    name = forms.CharField(required=False, max_length=200)
    owner = forms.CharField(required=False, max_length=150)
    sha256 = forms.RegexField(
        r"^[0-9a-fA-F]{4,64}$",
        required=False,
        error_messages={"invalid": "Give a sha256 or its first 4+ hex digits."},
    )


class CompareForm(forms.Form):
    a = forms.IntegerField()
    b = forms.IntegerField()


class DatasetUploadForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(help_text="CSV or Parquet.")
    target = forms.CharField(
        max_length=200,
        required=False,
        help_text="The column runs are scored against (optional).",
    )


class DatasetTargetForm(forms.Form):
    target = forms.CharField(max_length=200, required=False)


class ExperimentForm(forms.Form):
    """Variants of one node of a run: one JSON object per line."""

    run = forms.IntegerField(min_value=1)
    node = forms.CharField(max_length=64)
    title = forms.CharField(max_length=200, required=False)
    variants = forms.CharField(
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text='One variant per line: {"params": {"version": 2}}, '
        '{"label": "mean", "kind": "combine", "params": {"method": "mean"}}',
    )

    def clean_variants(self) -> list[dict[str, Any]]:
        lines = [x.strip() for x in self.cleaned_data["variants"].splitlines()]
        variants = []
        for number, line in enumerate([x for x in lines if x], start=1):
            try:
                variant = json_loads(line)
            except ValueError as exc:
                message = f"Line {number} is not JSON: {exc}"
                raise forms.ValidationError(message) from exc
            if not isinstance(variant, dict):
                raise forms.ValidationError(f"Line {number} is not a JSON object.")
            variants.append(variant)
        return variants


class PromoteForm(forms.Form):
    variant = forms.IntegerField(min_value=0)
    to = forms.ChoiceField(choices=[("version", "version"), ("alias", "alias")])
    alias = forms.SlugField(max_length=100, required=False)
