// The dashboard's pages the browser tests open: one line each. Every page
// is opened at 1366×768 and at 390×844 (a phone), must answer `status`,
// log no console error (a CSP violation is one), raise no page error, have
// no serious or critical axe-core violation, and is screenshotted into
// $CARGO_TARGET_DIR/web-screenshots/NAME-VIEWPORT.png.
//
//   name     the screenshot's name
//   path     the URL path; {district}, {township}, {community}, {group} and
//            {otherTownship} are the units of the running network
//   as       whose session opens it: "district" (the district leader, the
//            default), "township" (a township admin, on the township's
//            node) or "nobody" (no session)
//   status   the HTTP status expected (default 200)
//   live     the page keeps an event stream open: wait for it to open
//            (`[data-live="open"]`) instead of for the network to go idle
//
// {overdueCase} is the case the ledger test opened (an overdue one).
//
// (/unit/{district}/export.csv is a download, not a page: web.test.mjs
// checks it with page.request.)
export const PAGES = [
  { name: "overview-district", path: "/unit/{district}" },
  { name: "overview-district-en", path: "/unit/{district}?lang=en" },
  { name: "overview-township", path: "/unit/{township}" },
  { name: "overview-community", path: "/unit/{community}" },
  { name: "overview-group", path: "/unit/{group}" },
  { name: "overview-township-admin", path: "/unit/{township}", as: "township" },
  { name: "refused-other-township", path: "/unit/{otherTownship}", as: "township", status: 403 },
  { name: "cases", path: "/unit/{district}/cases" },
  { name: "cases-overdue", path: "/unit/{district}/cases?overdue=1" },
  { name: "case-overdue", path: "/case/{overdueCase}" },
  { name: "missing", path: "/unit/{district}/missing" },
  { name: "calendar", path: "/unit/{district}/calendar", live: true },
  { name: "calendar-community", path: "/unit/{community}/calendar", live: true },
  { name: "calendar-township-admin", path: "/unit/{township}/calendar", as: "township", live: true },
  { name: "refused-other-township-calendar", path: "/unit/{otherTownship}/calendar", as: "township", status: 403 },
  { name: "missing-township-admin", path: "/unit/{township}/missing", as: "township" },
  { name: "wages", path: "/unit/{district}/wages" },
  { name: "wages-township-admin", path: "/unit/{township}/wages", as: "township" },
  { name: "weekly-board", path: "/weekly?unit={district}" },
  { name: "weekly-board-township-admin", path: "/weekly?unit={township}", as: "township" },
  { name: "weekly-report", path: "/weekly/report?unit={district}" },
  { name: "accountability", path: "/accountability?unit={district}" },
  { name: "annual", path: "/annual?unit={district}" },
  { name: "annual-en", path: "/annual?unit={district}&lang=en" },
  { name: "leaders", path: "/leaders" },
  { name: "departments", path: "/departments" },
  { name: "refused-other-township-annual", path: "/annual?unit={otherTownship}", as: "township", status: 403 },
  { name: "units", path: "/units" },
  { name: "units-search", path: "/units?q={community}" },
  { name: "refused-other-township-cases", path: "/unit/{otherTownship}/cases", as: "township", status: 403 },
  { name: "login", path: "/login", as: "nobody", status: 401 },
  { name: "not-found", path: "/no-such-page", status: 404 },
];
