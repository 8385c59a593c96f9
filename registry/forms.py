"""Forms of the registry pages; the rules live in services, these check shapes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_slug

from registry import formats, services


class VersionUploadForm(forms.Form):
    file = forms.FileField(
        label="Model file",
        help_text=f"Accepted: {formats.ACCEPTED_TEXT}.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(formats.ACCEPTED)}),
    )
    notes = forms.CharField(
        required=False,
        max_length=services.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What changed in this version.",
    )
    sample = forms.FileField(
        required=False,
        label="Sample CSV",
        help_text="A few rows of inputs: fills in dtypes and checks the model runs.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    metrics = forms.CharField(
        required=False,
        help_text='Optional JSON object, e.g. {"rmse": 12.3}.',
        widget=forms.TextInput(attrs={"placeholder": '{"rmse": 12.3}'}),
    )
    python_version = forms.CharField(required=False, max_length=30)
    sklearn_version = forms.CharField(
        required=False, max_length=30, label="scikit-learn version"
    )
    numpy_version = forms.CharField(required=False, max_length=30)

    def clean_file(self) -> Any:
        return _within_limit(self.cleaned_data["file"])

    def clean_sample(self) -> Any:
        return _within_limit(self.cleaned_data.get("sample"))

    def clean_metrics(self) -> dict[str, Any]:
        text = self.cleaned_data.get("metrics", "").strip()
        try:
            return services.metrics_parse(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def version_fields(self) -> dict[str, Any]:
        names = ["file", "notes", "sample", "metrics"]
        names += ["python_version", "sklearn_version", "numpy_version"]
        return {n: self.cleaned_data.get(n) or _empty(n) for n in names}


class ModelUploadForm(VersionUploadForm):
    name = forms.CharField(
        max_length=services.NAME_MAX_LENGTH,
        validators=[validate_slug],
        help_text="A short slug used in chains, e.g. sales-ridge.",
    )
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(
        required=False,
        max_length=services.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = ["name", "title", "description", "file", "notes", "sample"]


class AliasForm(forms.Form):
    alias = forms.SlugField(max_length=50)
    version = forms.IntegerField(min_value=1)


def _within_limit(file: Any) -> Any:
    if file is not None:
        message = services.upload_too_big(int(file.size or 0))
        if message:
            raise forms.ValidationError(message)
    return file


def _empty(name: str) -> Any:
    return {"metrics": {}, "sample": None, "file": None}.get(name, "")
