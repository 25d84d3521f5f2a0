// Small progressive enhancements for every page; the portal works without them.
(function () {
  "use strict";
  // Move focus to the error summary so screen-reader and keyboard users start with what went wrong.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
