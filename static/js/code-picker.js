// Code pickers: a text input with data-code-list (the URL of its options, JSON
// {"options": [[code, name], ...]}) becomes an ARIA 1.2 combobox with a list box of suggestions.
// Typing filters by code and by name; Down/Up (or Alt+Down to open) move through the suggestions,
// Enter chooses one, Escape closes the list (a second Escape empties the field), Tab leaves without
// choosing. Nothing is chosen for the trader: what is typed stays as typed until an option is
// picked, and the server checks it against the same list. Without this script the input is a
// plain text field. No inline styles (CSP): the list is shown and hidden by the "hidden" attribute.
(function () {
  "use strict";
  var MAX_SHOWN = 12;
  var lists = {}; // url -> Promise of [[code, name], ...], one request per list and page
  var counter = 0;

  function load(url) {
    if (!lists[url]) {
      lists[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("code list " + response.status); }
          return response.json();
        })
        .then(function (data) { return data.options || []; })
        .catch(function () { delete lists[url]; return []; });
    }
    return lists[url];
  }

  // Lower case without accents: "cote" finds "Côte d'Ivoire".
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function rank(options, query) {
    var q = fold(query.trim());
    if (!q) { return []; }
    // The code itself, codes starting with it, names starting with it ("ger": Germany), names
    // with a word starting with it (Switzerland, "including the German territory…"), the rest.
    var exact = [], codeStart = [], nameStart = [], wordStart = [], inside = [];
    options.forEach(function (option) {
      var code = option[0].toLowerCase(), name = fold(option[1]);
      if (code === q) { exact.push(option); }
      else if (code.indexOf(q) === 0) { codeStart.push(option); }
      else if (name.indexOf(q) === 0) { nameStart.push(option); }
      else if (name.indexOf(" " + q) >= 0 || name.indexOf("(" + q) >= 0) { wordStart.push(option); }
      else if (name.indexOf(q) >= 0) { inside.push(option); }
    });
    return exact.concat(codeStart, nameStart, wordStart, inside);
  }

  function Picker(input) {
    counter += 1;
    this.input = input;
    this.url = input.getAttribute("data-code-list");
    this.options = [];
    this.matches = [];
    this.active = -1;
    this.nameEl = document.getElementById(input.id + "_name");
    var wrap = input.parentNode;

    this.listbox = document.createElement("ul");
    this.listbox.id = input.id + "_listbox";
    this.listbox.className = "picker__list";
    this.listbox.setAttribute("role", "listbox");
    this.listbox.hidden = true;
    // Named "Suggestions", not by the field's label: the label names the input alone.
    this.listbox.setAttribute("aria-label", input.getAttribute("data-list-label") || "Suggestions");
    wrap.appendChild(this.listbox);

    this.status = document.createElement("span");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    wrap.appendChild(this.status);

    // The name of the chosen code is read with the field, after its hint and error.
    if (this.nameEl) {
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(this.nameEl.id) < 0) { described.push(this.nameEl.id); }
      input.setAttribute("aria-describedby", described.join(" "));
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.listbox.id);

    var self = this;
    load(this.url).then(function (options) {
      self.options = options;
      self.showName();
      // Typed into before the list arrived (a page with many pickers loads several lists): suggest now.
      if (document.activeElement === input && input.value) { self.filter(true); }
    });
    input.addEventListener("input", function () { self.filter(true); self.showName(); });
    input.addEventListener("keydown", function (event) { self.key(event); });
    input.addEventListener("blur", function () { self.close(); });
    // mousedown, not click: choosing must not take the focus from the input first.
    this.listbox.addEventListener("mousedown", function (event) {
      var li = event.target.closest("li[role='option']");
      if (li) {
        event.preventDefault();
        self.choose(parseInt(li.getAttribute("data-index"), 10));
      }
    });
  }

  Picker.prototype.filter = function (announce) {
    this.matches = rank(this.options, this.input.value);
    this.active = -1;
    this.render();
    if (announce) {
      var n = this.matches.length;
      var shown = Math.min(n, MAX_SHOWN);
      var one = this.input.getAttribute("data-count-one") || "1";
      var many = this.input.getAttribute("data-count-many") || "%s";
      this.status.textContent = n === 0 ? "" : (shown === 1 ? one : many.replace("%s", String(shown)));
    }
  };

  Picker.prototype.render = function () {
    var listbox = this.listbox;
    while (listbox.firstChild) { listbox.removeChild(listbox.firstChild); }
    var shown = this.matches.slice(0, MAX_SHOWN);
    var inputId = this.input.id;
    var active = this.active;
    shown.forEach(function (option, index) {
      var li = document.createElement("li");
      li.id = inputId + "_option_" + index;
      li.setAttribute("role", "option");
      li.setAttribute("data-index", String(index));
      li.setAttribute("aria-selected", index === active ? "true" : "false");
      li.className = "picker__option" + (index === active ? " picker__option--active" : "");
      var code = document.createElement("span");
      code.className = "picker__code";
      code.textContent = option[0];
      li.appendChild(code);
      li.appendChild(document.createTextNode(" " + option[1]));
      listbox.appendChild(li);
    });
    var open = shown.length > 0;
    listbox.hidden = !open;
    this.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (active >= 0 && open) {
      this.input.setAttribute("aria-activedescendant", inputId + "_option_" + active);
      var current = document.getElementById(inputId + "_option_" + active);
      if (current && current.scrollIntoView) { current.scrollIntoView({ block: "nearest" }); }
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Picker.prototype.isOpen = function () { return !this.listbox.hidden; };

  Picker.prototype.close = function () {
    this.matches = [];
    this.active = -1;
    this.render();
  };

  Picker.prototype.move = function (step) {
    var count = Math.min(this.matches.length, MAX_SHOWN);
    if (!count) { return; }
    this.active = this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count;
    this.render();
  };

  Picker.prototype.choose = function (index) {
    var option = this.matches[index];
    if (!option) { return; }
    this.input.value = option[0];
    this.close();
    this.showName();
    this.status.textContent = option[0] + " " + option[1];
    this.input.dispatchEvent(new Event("change", { bubbles: true }));
  };

  // Beside the field, the name of the code it holds: what the trader reads back.
  Picker.prototype.showName = function () {
    if (!this.nameEl) { return; }
    var code = this.input.value.trim().toUpperCase();
    var found = "";
    for (var i = 0; i < this.options.length; i += 1) {
      if (this.options[i][0] === code) { found = this.options[i][1]; break; }
    }
    this.nameEl.textContent = found;
  };

  Picker.prototype.key = function (event) {
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!this.isOpen()) { this.filter(true); if (event.altKey) { return; } }
        this.move(1);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!this.isOpen()) { this.filter(true); }
        this.move(-1);
        break;
      case "Enter":
        // Only a highlighted suggestion is chosen; otherwise Enter does what it does in the form.
        if (this.isOpen() && this.active >= 0) {
          event.preventDefault();
          this.choose(this.active);
        }
        break;
      case "Escape":
        if (this.isOpen()) {
          event.preventDefault();
          this.close();
        } else if (this.input.value) {
          event.preventDefault();
          this.input.value = "";
          this.showName();
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  function enhance(root) {
    var inputs = root.querySelectorAll("input[data-code-list]:not([role='combobox'])");
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.id && input.id.indexOf("__prefix__") < 0) { new Picker(input); }
    });
  }

  enhance(document);
  // Goods items added in the page (goods-items.js) bring their own pickers.
  var items = document.getElementById("goods-items");
  if (items && window.MutationObserver) {
    new MutationObserver(function () { enhance(items); }).observe(items, { childList: true });
  }
})();
