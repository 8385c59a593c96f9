// JSON over fetch with Django's CSRF token; errors carry the API's {message, extra}.

export class ApiError extends Error {
  constructor(status, message, extra) {
    super(message);
    this.status = status;
    this.extra = extra || {};
  }
}

export function makeApi(config) {
  const csrf = config.csrf_token || cookie("csrftoken");
  async function call(method, url, body, options = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrf;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
        keepalive: !!options.keepalive,
      });
    } catch (err) {
      throw new ApiError(0, "The server cannot be reached.", {});
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const message = (data && (data.message || data.detail)) || `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, message, data && data.extra);
    }
    return data;
  }
  return {
    get: (url) => call("GET", url),
    post: (url, body) => call("POST", url, body ?? {}),
    put: (url, body, options) => call("PUT", url, body ?? {}, options),
    del: (url, options) => call("DELETE", url, undefined, options),
  };
}

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.split("=")[1]) : "";
}

// Some list endpoints paginate ({results: [...]}) and some return a bare list.
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && key && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.results)) return data.results;
  return [];
}
