// "Find a child by name" on Raise a DRP: GOV.UK's accessible-autocomplete (built into
// static/build by `npm run build`) over /children/search/, each child shown with date of birth
// and case reference. Choosing a child adds their reference to the case reference box (which
// stays, and still takes typed references) and lists them; the first child chosen sets the
// case type if none is selected. Without JavaScript the link to the search-then-pick page
// (/drps/raise/choose-child/) does the same.
const container = document.querySelector("[data-module='app-child-finder']");

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

function setUp(accessibleAutocomplete) {
  const target = document.getElementById(container.dataset.target);
  if (!target) return;
  container.innerHTML = `
    <div class="govuk-form-group">
      <label class="govuk-label govuk-label--s" for="child-finder">Find a child by name</label>
      <div class="govuk-hint" id="child-finder-hint">Type part of a name, then choose the child.
        For siblings, find each one in turn.</div>
      <div id="child-finder-wrapper"></div>
    </div>
    <ul class="govuk-list govuk-list--bullet" id="child-finder-chosen" aria-live="polite"></ul>`;
  const chosenList = container.querySelector("#child-finder-chosen");
  const references = () => target.value.split(",").map((r) => r.trim()).filter(Boolean);

  function choose(child) {
    if (!child || typeof child === "string") return;
    if (!references().some((r) => r.toLowerCase() === child.reference.toLowerCase())) {
      target.value = [...references(), child.reference].join(", ");
      const item = document.createElement("li");
      item.textContent = `Chosen: ${child.label}`;
      chosenList.appendChild(item);
    }
    const caseType = document.querySelectorAll("input[name='case_type']");
    if (child.case_type && ![...caseType].some((input) => input.checked)) {
      const match = [...caseType].find((input) => input.value === child.case_type);
      if (match) match.checked = true;
    }
    // Ready for the next sibling: empty the box once the autocomplete has shown the choice.
    window.setTimeout(() => {
      const input = document.getElementById("child-finder");
      if (input) {
        input.value = "";
        input.focus();
      }
    }, 0);
  }

  accessibleAutocomplete({
    element: container.querySelector("#child-finder-wrapper"),
    id: "child-finder",
    minLength: 2,
    showNoOptionsFound: true,
    tNoResults: () => "No children found",
    confirmOnBlur: false,
    source: (query, populate) => {
      fetch(`${container.dataset.source}?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => populate(data.results))
        .catch(() => populate([]));
    },
    templates: {
      inputValue: (child) => (child && typeof child !== "string" ? child.name : ""),
      suggestion: (child) => (typeof child === "string" ? escapeHtml(child) : escapeHtml(child.label)),
    },
    onConfirm: choose,
  });
  const input = document.getElementById("child-finder");
  if (input) {
    input.setAttribute("aria-describedby", `child-finder-hint ${input.getAttribute("aria-describedby") || ""}`.trim());
  }
}

if (container && window.accessibleAutocomplete) {
  setUp(window.accessibleAutocomplete);
}
