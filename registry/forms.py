"""Forms of the registry pages; the rules live in services, these check shapes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_slug

from config.parsers import json_loads
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
    trained_on = forms.CharField(
        required=False,
        label="Trained on",
        max_length=10_000,
        help_text="For a stacker: the model versions whose outputs were its "
        'features, as JSON, e.g. [{"model": "sales-ridge", "version": 3}].',
        widget=forms.TextInput(
            attrs={"placeholder": '[{"model": "sales-ridge", "version": 3}]'}
        ),
    )
    out_of_fold = forms.NullBooleanField(
        required=False,
        label="Out-of-fold",
        help_text="Were those outputs out-of-fold (cross-validated) predictions? "
        "Read from a scikit-learn stacking estimator's cv where it can be.",
        widget=forms.Select(
            choices=[("unknown", "unknown"), ("true", "yes"), ("false", "no")]
        ),
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

    def clean_trained_on(self) -> Any:
        text = self.cleaned_data.get("trained_on", "").strip()
        if not text:
            return None
        try:
            return json_loads(text)
        except (ValueError, RecursionError) as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None

    def version_fields(self) -> dict[str, Any]:
        names = ["file", "notes", "sample", "metrics"]
        names += ["python_version", "sklearn_version", "numpy_version"]
        fields = {n: self.cleaned_data.get(n) or _empty(n) for n in names}
        fields["trained_on"] = self.cleaned_data.get("trained_on")
        fields["out_of_fold"] = self.cleaned_data.get("out_of_fold")
        return fields


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
    # Set by the confirmation page: move although a live chain would break.
    force = forms.BooleanField(required=False)


def _within_limit(file: Any) -> Any:
    if file is not None:
        message = services.upload_too_big(int(file.size or 0))
        if message:
            raise forms.ValidationError(message)
    return file


def _empty(name: str) -> Any:
    return {"metrics": {}, "sample": None, "file": None}.get(name, "")
