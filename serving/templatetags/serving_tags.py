"""The chain page's serving card (log settings, variants), rendered by serving."""

from __future__ import annotations

from typing import Any

from django import template

from builder.models import Chain
from builder.selectors import chain_can_edit
from serving.setup import serving_changes, setup_get, variants_summary

register = template.Library()


@register.inclusion_tag("serving/_panel.html", takes_context=True)
def serving_panel(context: Any, chain: Chain) -> dict[str, Any]:
    user = context["request"].user
    current = setup_get(chain_name=chain.name)
    variants = current.variants
    return {
        "chain": chain,
        "can_edit": chain_can_edit(chain=chain, user=user),
        "settings": current,
        "rate_percent": round(current.log_rate * 100, 4),
        "split_text": ", ".join(f"{v}:{w}" for v, w in variants.split),
        "shadows_text": ", ".join(str(v) for v in variants.shadows),
        "summary": variants_summary(variants.as_dict()),
        "last_change": next(iter(serving_changes(chain=chain, limit=1)), None),
        "csrf_token": context.get("csrf_token"),
    }
