"""Pages of the builder app: chain list, chain page, new chain, the editor."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.teams import team_list
from builder import selectors, services
from builder.diff import documents_diff
from builder.drawing import document_drawing
from builder.forms import ChainForm, DiffForm
from builder.impact import breaks_of_chain, upcoming_versions
from builder.models import Chain, ChainVersion
from builder.runs_summary import runs_summary
from catena.graph import FORMAT
from config.exceptions import CatenaAppError


def chain_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    owner = request.GET.get("owner", "").strip()
    team = request.GET.get("team", "").strip()
    chains = selectors.chain_list(search=search, owner=owner, team=team)
    page = Paginator(chains, 50).get_page(request.GET.get("page"))
    runs = runs_summary(chain.id for chain in page)
    rows = [(chain, runs.get(chain.id)) for chain in page]
    context = {
        "page": page,
        "rows": rows,
        "q": search,
        "owner": owner,
        "team": team,
        "teams": team_list(user=request.user),
    }
    return render(request, "builder/chain_list.html", context)


def chain_new(request: HttpRequest) -> HttpResponse:
    form = ChainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            chain = services.chain_create(owner=request.user, **form.cleaned_data)
        except CatenaAppError as exc:
            form.add_error("name", exc.message)
        else:
            return redirect("builder:chain_editor", name=chain.name)
    return render(request, "builder/chain_new.html", {"form": form})


def chain_detail(request: HttpRequest, name: str) -> HttpResponse:
    chain = selectors.chain_get(name=name)
    versions = list(selectors.chain_version_list(chain=chain))
    shown = _shown_version(request, versions)
    context: dict[str, Any] = {
        "chain": chain,
        "versions": versions,
        "shown": shown,
        "drawing": document_drawing(shown.document) if shown else None,
        "can_edit": selectors.chain_can_edit(chain=chain, user=request.user),
        "can_give": selectors.chain_can_give(chain=chain, user=request.user),
        "teams": team_list(user=request.user),
        "diff": None,
        "upcoming": upcoming_versions(version=shown) if shown else [],
        "alias_breaks": breaks_of_chain(chain=chain),
    }
    context.update(_diff_context(request, versions))
    return render(request, "builder/chain_detail.html", context)


def _shown_version(
    request: HttpRequest, versions: list[ChainVersion]
) -> ChainVersion | None:
    wanted = request.GET.get("version")
    if not wanted:
        return versions[0] if versions else None
    for version in versions:
        if str(version.number) == wanted:
            return version
    raise Http404("No such version.")


def _diff_context(request: HttpRequest, versions: list[ChainVersion]) -> dict[str, Any]:
    if "a" not in request.GET:
        return {}
    form = DiffForm(request.GET)
    by_number = {v.number: v for v in versions}
    if not form.is_valid() or not {
        form.cleaned_data["a"],
        form.cleaned_data["b"],
    } <= set(by_number):
        return {"diff_error": "Pick two existing versions to compare."}
    old, new = by_number[form.cleaned_data["a"]], by_number[form.cleaned_data["b"]]
    return {
        "diff": documents_diff(old.document, new.document),
        "diff_old": old,
        "diff_new": new,
    }


def chain_editor(request: HttpRequest, name: str) -> HttpResponse:
    chain = selectors.chain_get(name=name)
    version = selectors.chain_version_latest(chain=chain)
    document = (
        version.document if version else {"format": FORMAT, "nodes": [], "edges": []}
    )
    context = {
        "chain": chain,
        "version": version,
        "document_json": script_json(document),
        "editor_config_json": script_json(editor_config(request, chain)),
    }
    return render(request, "builder/chain_editor.html", context)


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>`` break-out)."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def editor_config(request: HttpRequest, chain: Chain) -> dict[str, Any]:
    """The URLs and facts the canvas editor needs, as one JSON object."""
    base = f"/api/chains/{chain.name}"
    return {
        "chain": chain.name,
        "chains": reverse("builder:api_chain_list"),
        "validate": reverse("builder:api_validate"),
        "palette": reverse("builder:api_palette"),
        "versions": f"{base}/versions/",
        "version": f"{base}/versions/{{number}}/",
        "draft": f"{base}/draft",
        "live": f"{base}/live",
        "export": f"{base}/versions/{{number}}/export",
        "import": reverse("builder:api_chain_import"),
        "runs": "/api/runs/",
        "runs_create": "/api/runs/",
        "datasets": "/api/datasets/",
        "chain_page": reverse("builder:chain_detail", args=[chain.name]),
        "csrf_token": get_token(request),
        "user": request.user.get_username(),
        "can_edit": selectors.chain_can_edit(chain=chain, user=request.user),
    }


def chain_live(request: HttpRequest, name: str) -> HttpResponse:
    """Mark the posted version live, from the chain page."""
    chain = selectors.chain_get(name=name)
    if request.method == "POST":
        number = request.POST.get("number", "")
        try:
            services.chain_live_set(
                chain=chain, user=request.user, number=int(number) if number else None
            )
        except (CatenaAppError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "Not a version number."))
        else:
            messages.success(request, "Live version updated.")
    return redirect(chain)


def chain_team(request: HttpRequest, name: str) -> HttpResponse:
    """Give the chain to the posted team (empty: to no team), from the chain page."""
    chain = selectors.chain_get(name=name)
    if request.method == "POST":
        try:
            chain = services.chain_team_set(
                chain=chain, team=request.POST.get("team", ""), user=request.user
            )
        except CatenaAppError as exc:
            messages.error(request, exc.message)
        else:
            owner = f"team {chain.team.name}" if chain.team else "no team"
            messages.success(request, f"{chain.name} now belongs to {owner}.")
    return redirect(chain)
