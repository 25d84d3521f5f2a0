// Progressive enhancement for the upload page: the chosen files go to the API one by one (three at
// a time) with the browser's session, with a progress bar and each file's answer as it arrives.
// Without JavaScript the form posts every file at once and the server answers for each the same way.
// Every text shown comes from the page (translated there); file names and server messages are only
// ever set as text, never as markup.
(function () {
  "use strict";
  var form = document.getElementById("bulk-upload");
  var template = document.getElementById("file-result-template");
  if (!form || !template || !window.fetch || !("content" in template)) { return; }
  var input = form.querySelector("input[type=file]");
  var progress = document.getElementById("bulk-progress");
  var bar = document.getElementById("bulk-progress-bar");
  var status = document.getElementById("bulk-status");
  var section = document.getElementById("bulk-results");
  var list = document.getElementById("file-results");
  var heading = document.getElementById("bulk-results-title");
  var summary = document.getElementById("bulk-summary");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!input || !progress || !bar || !status || !section || !list || !heading || !summary || !csrf) { return; }

  var CONCURRENCY = 3;
  var MAX_RETRIES = 5;
  var maxFiles = parseInt(form.getAttribute("data-max-files"), 10);
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var maxFileBytes = parseInt(form.getAttribute("data-max-file-bytes"), 10);
  var busy = false;
  var deNumbers = {};
  try { deNumbers = JSON.parse(form.getAttribute("data-de-numbers") || "{}"); } catch (ignored) { deNumbers = {}; }

  // The data element number of a canonical path (items.2.net_mass → 6/1), as declarations.catalogue
  // finds it: positions dropped, an item's documents listed with the declaration's.
  function deOf(field) {
    if (!field) { return ""; }
    var key = String(field).split(".").filter(function (part) { return part && !/^\d+$/.test(part); }).join(".");
    if (key.indexOf("items.documents.") === 0) { key = key.slice("items.".length); }
    return Object.prototype.hasOwnProperty.call(deNumbers, key) ? deNumbers[key] : "";
  }

  function text(name, values) {
    var message = status.getAttribute("data-" + name) || "";
    return message.replace(/%\((\w+)\)s/g, function (match, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function detailUrl(mrn) {
    return status.getAttribute("data-detail-url").replace("__mrn__", encodeURIComponent(mrn));
  }

  function clientError(message) {
    var old = document.getElementById("bulk-client-error");
    if (old) { old.remove(); }
    var box = document.createElement("div");
    box.className = "error-summary";
    box.id = "bulk-client-error";
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    var title = document.createElement("h2");
    title.textContent = text("problem");
    var items = document.createElement("ul");
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "#" + input.id;
    link.textContent = message;
    item.appendChild(link);
    items.appendChild(item);
    box.appendChild(title);
    box.appendChild(items);
    form.parentNode.insertBefore(box, form.parentNode.firstChild);
    box.focus();
  }

  // One file's answer, built from the page's template: the variants that do not apply are removed.
  function row(number, name, outcome, info) {
    var li = template.content.firstElementChild.cloneNode(true);
    li.id = "file-" + number;
    li.tabIndex = -1;
    li.className = "file-result file-result--" + outcome;
    var keep = {};
    keep[outcome] = true;
    if (outcome === "valid") { keep[info.lodgementStatus === 200 ? "valid-lodged" : "valid-new"] = true; }
    if (outcome === "refused") {
      keep.errors = true;
      keep[info.checkOnly ? "check" : "lodge"] = true;
    }
    if (info.warnings && info.warnings.length) { keep.warnings = true; }
    Array.prototype.forEach.call(li.querySelectorAll("[data-when]"), function (element) {
      if (!keep[element.getAttribute("data-when")]) { element.remove(); }
    });
    fill(li, "name", name);
    fill(li, "caption-name", name);
    fill(li, "mrn", info.mrn || "");
    fill(li, "status", info.lodgementStatus ? String(info.lodgementStatus) : "");
    fill(li, "not-sent", info.message || "");
    Array.prototype.forEach.call(li.querySelectorAll("[data-slot=mrn-link]"), function (link) {
      link.href = info.mrn ? detailUrl(info.mrn) : "#";
    });
    var errors = li.querySelector("[data-slot=errors]");
    if (errors) {
      errors.textContent = "";
      (info.errors || []).forEach(function (error) {
        var pointer = String(error.pointer || "");
        var space = pointer.indexOf(" ");
        var de = deOf(error.field);
        var dataElement = space >= 0 ? pointer.slice(space + 1) : "";
        var cells = [
          space >= 0 ? pointer.slice(0, space) : pointer,
          dataElement + (de ? " (DE " + de + ")" : ""),
          error.code || "",
          error.message || ""
        ];
        var tr = document.createElement("tr");
        cells.forEach(function (value, index) {
          var td = document.createElement("td");
          if (index < 3) { td.className = "mono"; }
          td.textContent = value || "\u2013";
          tr.appendChild(td);
        });
        errors.appendChild(tr);
      });
    }
    var warnings = li.querySelector("[data-slot=warnings]");
    if (warnings) {
      warnings.textContent = "";
      (info.warnings || []).forEach(function (warning) {
        var item = document.createElement("li");
        item.textContent = warning.message || "";
        if (warning.pointer) {
          var where = document.createElement("span");
          where.className = "pointer";
          where.textContent = " (" + warning.pointer + ")";
          item.appendChild(where);
        }
        warnings.appendChild(item);
      });
    }
    return li;
  }

  function fill(root, slot, value) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-slot=" + slot + "]"), function (element) {
      element.textContent = value;
    });
  }

  function messageOf(body, fallback) {
    var first = body && body.errors && body.errors[0];
    return first && first.message ? first.message : fallback;
  }

  // What the API answered, as one file's outcome.
  function outcome(response, body, checkOnly) {
    var code = response.status;
    var errors = (body && body.errors) || [];
    if (code === 401 || code === 403) {
      return { outcome: "not_sent", message: messageOf(body, text("failed")), stop: true };
    }
    if (checkOnly && code === 200 && body && typeof body.valid === "boolean") {
      return {
        outcome: body.valid ? "valid" : "refused",
        lodgementStatus: body.lodgement_status,
        mrn: body.mrn,
        errors: body.errors,
        warnings: body.warnings
      };
    }
    if (!checkOnly && (code === 201 || code === 200) && body && body.mrn) {
      return { outcome: code === 201 ? "accepted" : "duplicate", lodgementStatus: code, mrn: body.mrn, warnings: body.warnings };
    }
    if (code >= 400 && code < 500) {
      return { outcome: "refused", lodgementStatus: code, errors: errors.length ? errors : [{ code: "error", message: text("failed") }] };
    }
    return { outcome: "not_sent", message: messageOf(body, text("failed")) };
  }

  function wait(seconds) {
    return new Promise(function (resolve) { window.setTimeout(resolve, seconds * 1000); });
  }

  function send(file, checkOnly, attempt) {
    var url = form.getAttribute(checkOnly ? "data-validate-url" : "data-lodge-url");
    return window.fetch(url, {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: { "Content-Type": "application/xml", "Accept": "application/json", "X-CSRFToken": csrf.value }
    }).then(function (response) {
      if (response.status === 429 && attempt < MAX_RETRIES) {
        var seconds = Math.min(Math.max(parseInt(response.headers.get("Retry-After"), 10) || 1, 1), 120);
        status.textContent = text("waiting", { seconds: seconds });
        return wait(seconds).then(function () { return send(file, checkOnly, attempt + 1); });
      }
      return response.json().then(
        function (body) { return outcome(response, body, checkOnly); },
        function () { return outcome(response, null, checkOnly); }
      );
    }, function () {
      return { outcome: "not_sent", message: text("network") };
    });
  }

  function run(files, checkOnly) {
    busy = true;
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
    var old = document.getElementById("bulk-client-error");
    if (old) { old.remove(); }
    list.textContent = "";
    summary.textContent = "";
    section.hidden = false;
    progress.hidden = false;
    bar.max = files.length;
    bar.value = 0;
    var counts = { total: files.length, accepted: 0, duplicate: 0, valid: 0, refused: 0, not_sent: 0 };
    var rows = files.map(function (file, index) {
      var li = row(index + 1, file.name, "pending", {});
      list.appendChild(li);
      return li;
    });
    var next = 0;
    var done = 0;
    var stopped = null;
    var lastAnnounced = 0;
    status.textContent = text("sending", { done: 0, total: files.length });

    function settle(index, info) {
      var li = row(index + 1, files[index].name, info.outcome, {
        checkOnly: checkOnly,
        lodgementStatus: info.lodgementStatus,
        mrn: info.mrn,
        errors: info.errors,
        warnings: info.warnings,
        message: info.message
      });
      list.replaceChild(li, rows[index]);
      rows[index] = li;
      counts[info.outcome] += 1;
      done += 1;
      bar.value = done;
      // Announced at most every two seconds: a screen reader is not read fifty lines in a row.
      if (Date.now() - lastAnnounced > 2000) {
        lastAnnounced = Date.now();
        status.textContent = text("sending", { done: done, total: files.length });
      }
    }

    function worker() {
      if (next >= files.length) { return Promise.resolve(); }
      var index = next;
      next += 1;
      var file = files[index];
      var job;
      if (stopped) {
        job = Promise.resolve({ outcome: "not_sent", message: stopped });
      } else if (file.size > maxFileBytes) {
        job = Promise.resolve({
          outcome: "refused",
          lodgementStatus: 413,
          errors: [{ pointer: "", code: "too_large", message: text("file-too-large") }]
        });
      } else {
        job = send(file, checkOnly, 0);
      }
      return job.then(function (info) {
        if (info.stop) { stopped = info.message; }
        settle(index, info);
        return worker();
      });
    }

    var workers = [];
    for (var i = 0; i < Math.min(CONCURRENCY, files.length); i += 1) { workers.push(worker()); }
    Promise.all(workers).then(function () {
      // Said once, by the live status; the summary line is the page's without the script.
      status.textContent = text(checkOnly ? "done-check" : "done-lodge", counts);
      busy = false;
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = false; });
      heading.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var checkOnly = Boolean(event.submitter && event.submitter.value === "check");
    var files = Array.prototype.slice.call(input.files || []);
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    if (!files.length) { clientError(text("none")); return; }
    if (files.length > maxFiles) { clientError(text("too-many")); return; }
    if (total > maxBytes) { clientError(text("too-large")); return; }
    run(files, checkOnly);
  });
})();
