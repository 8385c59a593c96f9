"""Experiments: variants of one node run on a base run's stored outputs, and
promoting the winner (a new chain version, or an alias moved)."""

from __future__ import annotations

import copy
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from builder.services import chain_version_save
from builder.validation import chain_validate, errors_of
from catena.resolving import ResolvedChain, ResolvedModel, Resolver
from config.exceptions import CatenaAppError
from registry.models import RegisteredModel
from registry.services import alias_set
from runner import compute
from runner.models import Dataset, Experiment, NodeResult, Promotion, Run, Variant
from runner.services.runs import run_start

#: Variants one experiment may hold: each is a run submitted at once.
MAX_VARIANTS = 50


class MemoResolver:
    """One submission's resolver: each model or chain reference looked up once
    (the variants share every node but one)."""

    def __init__(self, inner: Resolver) -> None:
        self.inner = inner
        self.models: dict[tuple[str, int | str], ResolvedModel] = {}
        self.chains: dict[tuple[str, int | str], ResolvedChain] = {}

    def resolve(self, name: str, version: int | str) -> ResolvedModel:
        key = (name, version)
        if key not in self.models:
            self.models[key] = self.inner.resolve(name, version)
        return self.models[key]

    def resolve_chain(self, name: str, version: int | str) -> ResolvedChain:
        key = (name, version)
        if key not in self.chains:
            self.chains[key] = self.inner.resolve_chain(name, version)
        return self.chains[key]


def variants_count_check(count: int) -> None:
    """At most ``MAX_VARIANTS`` variants, at least one."""
    if not 1 <= count <= MAX_VARIANTS:
        raise CatenaAppError(
            f"An experiment has 1 to {MAX_VARIANTS} variants; this one has {count}. "
            "Split a larger sweep into several experiments.",
            {"limit": "variants", "max": MAX_VARIANTS, "got": count},
        )


def variants_shape_check(variants: list[Any]) -> None:
    """Each variant an object of an optional text label and kind and params object."""
    for position, spec in enumerate(variants):
        fine = isinstance(spec, dict) and set(spec) <= {"label", "kind", "params"}
        fine = fine and isinstance(spec.get("label", ""), str)
        fine = fine and isinstance(spec.get("kind", ""), str)
        if not fine or not isinstance(spec.get("params", {}), dict):
            raise CatenaAppError(
                f"Variant {position + 1} must be an object of an optional "
                '"label" (text), "kind" (text) and "params" (an object).',
                {"variant": position},
            )


def variant_node(base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The node replacing ``base``: same kind, params merged over the base's;
    another kind, the params given."""
    kind = spec.get("kind") or base["kind"]
    params = dict(spec.get("params") or {})
    if kind == base["kind"]:
        params = {**base.get("params", {}), **params}
    return {"id": base["id"], "kind": kind, "params": params}


def variant_document(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the node of ``node["id"]`` replaced by ``node``."""
    derived = copy.deepcopy(document)
    derived["nodes"] = [
        copy.deepcopy(node) if n.get("id") == node["id"] else n
        for n in derived["nodes"]
    ]
    return derived


def _pinned(document: dict[str, Any], resolved: dict[str, Any], keep: str) -> Any:
    """Model nodes (but ``keep``) pinned to the versions the base run used, so an
    alias moved since cannot change what the variants reuse."""
    for node in document["nodes"]:
        ref = resolved.get(node["id"])
        if node["kind"] == "model" and node["id"] != keep and ref:
            node["params"] = {**node["params"], "version": int(ref[1])}
    return document


def variant_label(node: dict[str, Any]) -> str:
    params = node["params"]
    if node["kind"] in ("model", "chain"):
        name = params.get("model") or params.get("chain")
        return f"{node['kind']} {name} {params.get('version', '@latest')}"[:200]
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return f"{node['kind']} {text}"[:200]


def experiment_base_run(*, chain_version: Any, dataset: Dataset, node_id: str) -> Run:
    """The newest run of ``chain_version`` on ``dataset`` with the node's inputs
    stored: the experiment starts from its outputs."""
    runs = Run.objects.filter(
        chain_version=chain_version, dataset=dataset, status=Run.Status.SUCCEEDED
    ).order_by("-created", "-id")
    for run in runs[:20]:
        if not _unstored_parents(run, node_id):
            return run
    raise CatenaAppError(
        f"No run of {chain_version} on data set {dataset.name!r} has stored the "
        f"inputs of {node_id!r} yet: run it (or run up to {node_id!r}) first.",
        {"node": node_id, "dataset": dataset.id},
    )


def _base_node(document: dict[str, Any], node_id: str) -> dict[str, Any]:
    for node in document.get("nodes", []):
        if node.get("id") == node_id:
            if node.get("kind") in ("input", "output"):
                raise CatenaAppError(
                    f"Node {node_id!r} is an {node['kind']} node; pick a step.",
                    {"node": node_id},
                )
            return dict(node)
    raise CatenaAppError(f"The chain has no node {node_id!r}.", {"node": node_id})


def _unstored_parents(run: Run, node_id: str) -> list[str]:
    """The node's inputs (the parents in the run's document) not stored by ``run``."""
    document = run.document or run.chain_version.document
    parents = {a for a, b in document.get("edges", []) if b == node_id}
    done = NodeResult.objects.filter(
        run=run, node_id__in=parents, status__in=NodeResult.DONE, artifact__isnull=False
    ).values_list("node_id", flat=True)
    return sorted(parents - set(done))


def _upstream_check(run: Run, node_id: str) -> None:
    missing = _unstored_parents(run, node_id)
    if missing:
        raise CatenaAppError(
            f"Run {run.id} has no stored output of {', '.join(missing)}, the input "
            f"of {node_id!r}: run up to {node_id!r} first.",
            {"node": node_id, "missing": missing},
        )


def _problems_check(
    chain: str, documents: list[dict[str, Any]], resolver: Resolver
) -> None:
    """Every variant validated as the editor does; all refused if one is bad."""
    bad: list[tuple[int, list[dict[str, Any]]]] = []
    for position, document in enumerate(documents):
        problems = chain_validate(document, resolver=resolver, chain=chain)[0]
        errors = errors_of(problems)
        if errors:
            bad.append((position, errors))
    if bad:
        position, errors = bad[0]
        raise CatenaAppError(
            f"{len(bad)} variant(s) cannot run; variant {position + 1}: "
            f"{errors[0]['message']}",
            {"variants": [{"variant": v, "problems": p} for v, p in bad]},
        )


def experiment_start(
    *,
    user: Any,
    base_run: Run,
    node_id: str,
    variants: list[dict[str, Any]],
    title: str = "",
) -> Experiment:
    """Validate every variant, then write the experiment and submit one run per
    variant on ``base_run``'s input: its stored outputs are reused by key."""
    variants_count_check(len(variants))
    variants_shape_check(variants)
    chain_version = base_run.chain_version
    document = base_run.document or chain_version.document
    base = _base_node(document, node_id)
    _upstream_check(base_run, node_id)
    nodes = [variant_node(base, spec) for spec in variants]
    documents = [
        _pinned(variant_document(document, node), base_run.resolved, node_id)
        for node in nodes
    ]
    resolver = MemoResolver(compute.resolver())
    _problems_check(chain_version.chain.name, documents, resolver)
    labels = [
        str(spec.get("label") or variant_label(node))
        for spec, node in zip(variants, nodes, strict=True)
    ]
    return _experiment_create(
        user=user,
        base_run=base_run,
        node_id=node_id,
        title=title,
        rows=list(zip(labels, nodes, documents, strict=True)),
        resolver=resolver,
    )


@transaction.atomic
def _experiment_create(
    *,
    user: Any,
    base_run: Run,
    node_id: str,
    title: str,
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]],
    resolver: Resolver,
) -> Experiment:
    # One transaction: a variant refused by run_start stores nothing at all,
    # and the node tasks are sent once every run is written (on commit).
    experiment = Experiment(
        chain_version=base_run.chain_version,
        base_run=base_run,
        node_id=node_id,
        title=title,
        created_by=user,
    )
    experiment.full_clean(exclude=["chain_version", "base_run", "created_by"])
    experiment.save()
    now = timezone.now()
    for position, (label, node, document) in enumerate(rows):
        run = run_start(
            chain_version=base_run.chain_version,
            user=user,
            reuse_from=base_run,
            document=document,
            received_at=now,
            resolver=resolver,
        )
        Variant.objects.create(
            experiment=experiment, position=position, label=label, node=node, run=run
        )
    return experiment


@transaction.atomic
def experiment_promote(
    *, variant: Variant, user: Any, to: str, alias: str = ""
) -> Promotion:
    """Make a variant that ran the chain's next version (the message names the
    experiment), or move ``alias`` to its model version; recorded either way."""
    run = variant.run
    if run is None or run.status != Run.Status.SUCCEEDED:
        status = run.status if run is not None else "gone"
        raise CatenaAppError(
            f"Only a variant that ran successfully can be promoted; this one is "
            f"{status}.",
            {"variant": variant.position, "status": status},
        )
    experiment = variant.experiment
    promotion = Promotion(variant=variant, kind=to, promoted_by=user)
    if to == Promotion.Kind.VERSION:
        promotion.chain_version = _version_promote(experiment, variant, user)
    else:
        _alias_promote(promotion, variant, alias, user)
    promotion.full_clean(exclude=["variant", "chain_version", "promoted_by"])
    promotion.save()
    return promotion


def _version_promote(experiment: Experiment, variant: Variant, user: Any) -> Any:
    base = experiment.chain_version
    document = variant_document(base.document, variant.node)
    message = (
        f"Promoted variant {variant.position + 1} ({variant.label}) of experiment "
        f"#{experiment.id} on v{base.number}"
    )[:500]
    version, _ = chain_version_save(
        chain=base.chain, document=document, user=user, message=message
    )
    return version


def _alias_promote(
    promotion: Promotion, variant: Variant, alias: str, user: Any
) -> None:
    result = NodeResult.objects.filter(
        run=variant.run, node_id=variant.experiment.node_id
    ).first()
    if result is None or not result.model_name or result.model_version is None:
        raise CatenaAppError(
            "This variant runs no model version to give an alias; promote it as a "
            "new chain version instead.",
            {"variant": variant.position},
        )
    if not alias:
        raise CatenaAppError(
            "Name the alias to move.", {"fields": {"alias": ["Required."]}}
        )
    model = RegisteredModel.objects.get(name=result.model_name)
    alias_set(model=model, alias=alias, number=result.model_version, user=user)
    promotion.model_name = result.model_name
    promotion.model_version = result.model_version
    promotion.alias = alias
