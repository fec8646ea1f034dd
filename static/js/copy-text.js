// The "Copy text" button of the DRP summary page: hidden without JavaScript (the textarea
// can be selected and copied by hand), shown and working with it. No inline script (CSP).
for (const button of document.querySelectorAll('[data-module="app-copy-text"]')) {
  const source = document.getElementById(button.dataset.copyFrom);
  const status = document.querySelector(".app-copy-status");
  if (!source) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(source.value);
      copied = true;
    } catch {
      // No clipboard access (an older browser, or http): select the text for Ctrl+C.
      source.focus();
      source.select();
    }
    if (status) {
      status.textContent = copied ? "Text copied. Paste it into the child's record."
        : "The text is selected: press Ctrl+C (or Cmd+C) to copy it.";
    }
  });
}
