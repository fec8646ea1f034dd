// Follows a background import on its page (imports/job.html): asks the progress URL every two
// seconds, updates the status line (an aria-live region) and reloads the page once the import
// has finished, so the counts or the list of problems show. Without JavaScript the page's
// "Check progress" button does the same by hand.
const region = document.querySelector("[data-import-progress]");

function describe(progress) {
  if (progress.written) {
    return `${progress.written.toLocaleString("en-GB")} of ${progress.checked.toLocaleString("en-GB")} rows written`;
  }
  if (progress.checked) {
    return `${progress.checked.toLocaleString("en-GB")} rows checked`;
  }
  return "Starting";
}

async function poll() {
  try {
    const response = await fetch(region.dataset.importProgress, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) {
      const progress = await response.json();
      if (progress.finished) {
        window.location.reload();
        return;
      }
      const text = document.getElementById("import-status-text");
      const tag = document.getElementById("import-status-tag");
      if (text) text.textContent = describe(progress);
      if (tag) tag.textContent = progress.status_display;
    }
  } catch (error) {
    // A network blip: try again on the next tick.
  }
  window.setTimeout(poll, 2000);
}

if (region && region.dataset.finished === "false") {
  window.setTimeout(poll, 2000);
}
