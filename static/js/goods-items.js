// Progressive enhancement for the declaration form: "Add another goods item" clones the empty
// item template in the page instead of a round trip. Without JavaScript the same button submits
// the form and the server re-renders it with one more item.
(function () {
  "use strict";
  var form = document.querySelector("form[data-goods-items]");
  if (!form) { return; }
  var prefix = form.getAttribute("data-goods-items");
  var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
  var template = document.getElementById("goods-item-template");
  var list = document.getElementById("goods-items");
  var button = form.querySelector("button[value='add_item']");
  if (!total || !template || !list || !button) { return; }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10);
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var item = holder.firstElementChild;
    list.appendChild(item);
    total.value = String(index + 1);
    var first = item.querySelector("input, select, textarea");
    if (first) { first.focus(); }
    var status = document.getElementById("goods-items-status");
    if (status) { status.textContent = status.getAttribute("data-added").replace("%s", String(index + 1)); }
  });
})();
