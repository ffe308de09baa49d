// Talking to the page's server: every request carries the token the page's own address
// holds (X-JDY-Token), or in the query for what the browser fetches itself (downloads).
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token') || '';

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// `method` `path` with `body`; the answer's JSON, or an ApiError with the server's words.
async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    body,
    cache: 'no-store',
    headers: { 'X-JDY-Token': TOKEN },
  });
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || response.statusText;
    throw new ApiError(response.status, message);
  }
  return data;
}

// The address of a download, with the token.
function withToken(path) {
  return path + '?token=' + encodeURIComponent(TOKEN);
}

// Shorthands for the elements.
function $(id) {
  return document.getElementById(id);
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined && text !== null) made.textContent = String(text);
  return made;
}
