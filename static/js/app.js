// Footprint's only script: an ES module (loaded with <script type="module">),
// so there is no inline script and a strict Content-Security-Policy can follow.
//
// The imports resolve (relative to /static/js/) to the packages that Django
// serves from node_modules (see STATICFILES_DIRS):
//   /static/govuk-frontend/govuk/govuk-frontend.min.js
//   /static/moj-frontend/moj/moj-frontend.min.js
// Both are ES modules that export initAll. Everything works without JavaScript;
// this only enhances the GOV.UK and MOJ components on the page.
import { initAll as initGovukFrontend } from "../govuk-frontend/govuk/govuk-frontend.min.js";
import {
  FilterToggleButton,
  initAll as initMojFrontend,
} from "../moj-frontend/moj/moj-frontend.min.js";

// A browser running this module supports ES modules, which is what
// "govuk-frontend-supported" signals; both libraries check for it.
document.body.classList.add("js-enabled", "govuk-frontend-supported");

initGovukFrontend();
initMojFrontend();

// MOJ's initAll leaves out the filter toggle: on a narrow screen a list's filters wait behind
// "Show filters" (the MOJ "filter a list" pattern); on a wide one they sit beside the list.
for (const filter of document.querySelectorAll('[data-module="moj-filter"]')) {
  new FilterToggleButton(filter, {
    toggleButton: { showText: "Show filters", hideText: "Hide filters", classes: "govuk-button--secondary" },
  });
}
