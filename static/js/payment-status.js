// The declaration page while a card payment is being confirmed: ask the API for the payment's
// status every two seconds (for two minutes at most) and reload the page once it has changed.
(function () {
  "use strict";
  var box = document.querySelector("[data-payment-pending]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-payment-pending");
  var tries = 0;
  function check() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (payment) {
        if (payment && payment.status !== "awaiting_confirmation") {
          window.location.reload();
        } else if (tries < 60) {
          window.setTimeout(check, 2000);
        }
      })
      .catch(function () {
        if (tries < 60) {
          window.setTimeout(check, 2000);
        }
      });
  }
  window.setTimeout(check, 2000);
})();
