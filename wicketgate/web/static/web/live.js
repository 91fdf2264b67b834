// Keeps a page's live part up to date without reloading the page: every few seconds it
// fetches the page again and swaps in the new contents of the element marked
// data-wg-live (its value: seconds between updates). Focus and scroll position stay put,
// and nothing is swapped while the reader is inside that part or the tab is hidden.
// Without JavaScript, the page's <noscript> refresh does the same job.

const region = document.querySelector("[data-wg-live]");

async function update() {
  if (document.hidden || region.contains(document.activeElement)) {
    return;
  }
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
    });
    if (!response.ok) {
      return; // signed out, or the server is away: try again next time
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(`#${region.id}`);
    if (fresh) {
      region.replaceChildren(...fresh.childNodes);
    }
  } catch {
    // The network is down: try again next time.
  }
}

if (region && region.id) {
  const seconds = Number(region.dataset.wgLive) || 10;
  window.setInterval(update, seconds * 1000);
}
