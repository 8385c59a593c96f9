// The API's URLs, from the page's config (flat; older pages nest them under "urls").
export function urlsFrom(config) {
  const u = config.urls || config;
  const own = (name) => name && name === config.chain;
  const runs = u.runs || "/api/runs/";
  return {
    palette: u.palette || "/api/palette",
    validate: u.validate || "/api/validate",
    chains: u.chains || "/api/chains/",
    versions: (name) => (own(name) && u.versions) || `/api/chains/${name}/versions/`,
    draft: (name) => (own(name) && u.draft) || `/api/chains/${name}/draft`,
    datasets: u.datasets || "/api/datasets/",
    runs,
    runsCreate: u.runs_create || runs,
    run: (id) => `${runs}${id}/`,
    status: (id) => `${runs}${id}/status`,
    continue: (id) => `${runs}${id}/continue`,
    runPage: (id) => `/runs/${id}/`,
    edit: (name) => `/chains/${name}/edit`,
    bundle: (name, number) =>
      ((own(name) && u.export) || `/api/chains/${name}/versions/{number}/export`).replace("{number}", number) + "?bundle=zip",
  };
}
