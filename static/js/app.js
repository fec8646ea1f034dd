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
import { initAll as initMojFrontend } from "../moj-frontend/moj/moj-frontend.min.js";

// A browser running this module supports ES modules, which is what
// "govuk-frontend-supported" signals; both libraries check for it.
document.body.classList.add("js-enabled", "govuk-frontend-supported");

initGovukFrontend();
initMojFrontend();
