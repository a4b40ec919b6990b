/* Catalogue: search and filters on the product index, and the buyer's inquiry list.
 * Works over http and from file:// (no fetch: the index arrives as a <script>).
 * Without JavaScript every page still lists everything with plain links. */
(function () {
  "use strict";

  var STORE_KEY = "catalogue-inquiry-v1";
  var linkStyle = document.body.getAttribute("data-link-style") || "pretty";

  /* --- text folding: must match catalogue/outputs/search.py fold() ---------------- */
  var MARKS = /[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed]/g;
  var PUNCT = /[\p{P}\p{S}]/gu;
  var WIDTHS = /[\uff00-\uffef]/g;  /* half-width katakana, full-width Latin: their usual forms */
  function fold(text) {
    return String(text).replace(WIDTHS, function (c) { return c.normalize("NFKC"); }).replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").toLowerCase()
      .replace(MARKS, "").replace(/[أإآٱ]/g, "ا").replace(/[ىئ]/g, "ي").replace(/ؤ/g, "و")
      .replace(/ة/g, "ه").replace(/ـ/g, "").normalize("NFC").replace(PUNCT, " ")
      .replace(/[\s\u00a0\u3000]+/g, " ").trim();
  }
  var UNSPACED = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]/;
  /* Query -> terms; runs of Japanese/Chinese/Thai become overlapping character pairs. */
  function terms(query) {
    var out = [];
    fold(query).split(" ").forEach(function (word) {
      if (!word) { return; }
      if (UNSPACED.test(word) && word.length > 2) {
        for (var i = 0; i < word.length - 1; i++) { out.push(word.slice(i, i + 2)); }
      } else {
        out.push(word);
      }
    });
    return out;
  }
  /* Spaced scripts match at the start of a word (as you type); Arabic (whose words take
   * prefixes such as ال) and unspaced scripts match anywhere. */
  var ANYWHERE = /[\u0600-\u06ff\u0750-\u077f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]/;
  function found(field, word) {
    if (!field) { return false; }
    return ANYWHERE.test(word) ? field.indexOf(word) >= 0 : (" " + field).indexOf(" " + word) >= 0;
  }
  function score(item, words) {
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i], best = 0;
      if (found(item.n, w)) { best = 10; }
      else if (found(item.a, w)) { best = 6; }
      else if (found(item.s, w)) { best = 4; }
      else if (found(item.b, w)) { best = 1; }
      if (!best) { return 0; }
      total += best;
    }
    var phrase = words.join(" ");
    if (words.length > 1 && !ANYWHERE.test(phrase)) {  /* the words together, in order */
      if (found(item.n, phrase)) { total += 20; } else if (found(item.s, phrase) || found(item.a, phrase)) { total += 8; }
    }
    return total;
  }

  /* --- filters: open beside the list on wide screens, behind their button on phones -- */
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 900px)").matches) { filters.open = true; }

  /* --- the header's menu on narrow screens ------------------------------------------ */
  var menuButton = document.querySelector(".menu-toggle"), menu = document.getElementById("site-menu");
  if (menuButton && menu) {
    var setMenu = function (open) {
      menu.classList.toggle("is-open", open);
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
    };
    menuButton.addEventListener("click", function () { setMenu(!menu.classList.contains("is-open")); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("is-open")) { setMenu(false); menuButton.focus(); }
    });
  }

  /* --- counts: the catalogue's plural forms, chosen by the language's CLDR rules ---- */
  function countText(element, n) {
    var forms = JSON.parse(element.getAttribute("data-plural") || "{}");
    var lang = document.documentElement.lang || "en";
    var category = window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang).select(n) : (n === 1 ? "one" : "other");
    return (forms[category] || forms.other || "{n}").replace("{n}", String(n));
  }
  window.catalogueCountText = countText;  /* the page's own rule, for whoever needs a count */

  /* --- the inquiry list, kept in localStorage (file:// too) ------------------------ */
  var memory = {};
  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE_KEY) || "{}") || {}; }
    catch (e) { return memory; }
  }
  function save(list) {
    memory = list;
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(list)); } catch (e) { /* private mode */ }
    refreshButtons();
  }
  function refreshButtons() {
    var list = load(), count = Object.keys(list).length;
    document.querySelectorAll("[data-inquiry-count]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    });
    document.querySelectorAll("button[data-inquiry]").forEach(function (button) {
      button.hidden = false;
      button.setAttribute("aria-pressed", list[button.getAttribute("data-inquiry")] ? "true" : "false");
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-inquiry]") : null;
    if (!button) { return; }
    var list = load(), slug = button.getAttribute("data-inquiry");
    if (list[slug]) { delete list[slug]; } else { list[slug] = {q: "", name: button.getAttribute("data-name")}; }
    save(list);
  });
  window.addEventListener("storage", refreshButtons);

  function productHref(slug) {
    return "../products/" + encodeURIComponent(slug) + "/" + (linkStyle === "files" ? "index.html" : "");
  }

  /* --- product index: search and facets -------------------------------------------- */
  function setUpSearch(index) {
    var form = document.getElementById("product-search");
    var facetForm = document.getElementById("facet-form");
    var list = document.getElementById("product-list");
    if (!form || !facetForm || !list) { return; }
    var input = form.querySelector("input[name=q]");
    var status = document.getElementById("result-count");
    var empty = document.getElementById("no-results");
    var cards = {};
    list.querySelectorAll("[data-product]").forEach(function (card) { cards[card.getAttribute("data-product")] = card; });
    var order = index.items.map(function (item) { return item.id; });
    facetForm.hidden = false;
    document.querySelectorAll(".facet-links").forEach(function (links) { links.hidden = true; });

    function selected() {
      var chosen = {};
      index.facets.forEach(function (facet) {
        chosen[facet] = Array.prototype.map.call(
          facetForm.querySelectorAll("input[name='" + facet + "']:checked"), function (box) { return box.value; });
      });
      return chosen;
    }
    function passes(item, chosen, skip) {
      for (var i = 0; i < index.facets.length; i++) {
        var facet = index.facets[i];
        if (facet === skip || !chosen[facet].length) { continue; }
        var have = item.f[facet] || [];
        if (!chosen[facet].some(function (code) { return have.indexOf(code) >= 0; })) { return false; }
      }
      return true;
    }
    function apply(updateUrl) {
      var words = terms(input.value), chosen = selected();
      var scored = [];
      index.items.forEach(function (item) {
        var s = words.length ? score(item, words) : 1;
        item._score = s;
        if (s && passes(item, chosen, null)) { scored.push(item); }
      });
      if (words.length) {
        scored.sort(function (a, b) { return b._score - a._score || order.indexOf(a.id) - order.indexOf(b.id); });
      }
      var shown = {};
      scored.forEach(function (item) { shown[item.id] = true; });
      Object.keys(cards).forEach(function (slug) { cards[slug].hidden = !shown[slug]; });
      scored.forEach(function (item) { if (cards[item.id]) { list.appendChild(cards[item.id]); } });
      index.facets.forEach(function (facet) {
        facetForm.querySelectorAll("input[name='" + facet + "']").forEach(function (box) {
          var n = 0;
          index.items.forEach(function (item) {
            if (item._score && passes(item, chosen, facet) && (item.f[facet] || []).indexOf(box.value) >= 0) { n++; }
          });
          var label = box.closest("label");
          label.querySelector("[data-count]").textContent = String(n);
          label.classList.toggle("is-empty", n === 0 && !box.checked);
        });
      });
      status.textContent = countText(status, scored.length);
      empty.hidden = scored.length > 0;
      if (updateUrl) { writeState(input.value, chosen); }
    }
    function writeState(query, chosen) {
      var params = new URLSearchParams();
      if (query.trim()) { params.set("q", query.trim()); }
      index.facets.forEach(function (facet) { chosen[facet].forEach(function (code) { params.append(facet, code); }); });
      var hash = params.toString();
      var url = location.href.split("#")[0].split("?")[0] + (hash ? "#" + hash : "");
      try { history.replaceState(null, "", url); } catch (e) { location.replace(hash ? "#" + hash : "#"); }
    }
    function readState() {
      var params = new URLSearchParams(location.hash.replace(/^#/, ""));
      var fromQuery = new URLSearchParams(location.search);
      input.value = params.get("q") || fromQuery.get("q") || "";
      facetForm.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.checked = params.getAll(box.name).indexOf(box.value) >= 0;
      });
    }
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { apply(true); }, 120);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
    facetForm.addEventListener("change", function () { apply(true); });
    facetForm.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
    window.addEventListener("hashchange", function () { readState(); apply(false); });
    readState();
    apply(false);
  }

  /* --- the inquiry page ---------------------------------------------------------------- */
  function setUpInquiry(index) {
    var root = document.getElementById("inquiry");
    if (!root) { return; }
    var table = document.getElementById("inquiry-table");
    var body = table.querySelector("tbody");
    var rowTemplate = document.getElementById("inquiry-row");
    var names = {};
    (index ? index.items : []).forEach(function (item) { names[item.id] = item.name; });
    function mailto(list) {
      var lines = [root.getAttribute("data-greeting"), ""];
      Object.keys(list).forEach(function (slug, i) {
        var entry = list[slug];
        lines.push((i + 1) + ". " + (names[slug] || entry.name || slug) +
          (entry.q ? " — " + root.getAttribute("data-quantity") + ": " + entry.q : ""));
        lines.push("   " + new URL(productHref(slug), location.href).href);
      });
      lines.push("", root.getAttribute("data-closing"), "");
      return "mailto:" + root.getAttribute("data-email") + "?subject=" +
        encodeURIComponent(root.getAttribute("data-subject")) + "&body=" + encodeURIComponent(lines.join("\n"));
    }
    function render() {
      var list = load(), slugs = Object.keys(list);
      body.textContent = "";
      slugs.forEach(function (slug) {
        var row = rowTemplate.content.firstElementChild.cloneNode(true);
        var link = row.querySelector("a");
        link.textContent = names[slug] || list[slug].name || slug;
        link.href = productHref(slug);
        var quantity = row.querySelector("input");
        quantity.value = list[slug].q || "";
        quantity.addEventListener("change", function () {
          var current = load();
          if (current[slug]) { current[slug].q = quantity.value; save(current); update(); }
        });
        row.querySelector("button").addEventListener("click", function () {
          var current = load();
          delete current[slug];
          save(current);
          render();
        });
        row.setAttribute("data-product", slug);
        body.appendChild(row);
      });
      table.hidden = slugs.length === 0;
      document.getElementById("inquiry-empty").hidden = slugs.length > 0;
      document.getElementById("inquiry-actions").hidden = slugs.length === 0;
      update();
    }
    function update() {
      var mail = document.getElementById("inquiry-mail");
      if (mail) { mail.href = mailto(load()); }
    }
    document.getElementById("inquiry-print").addEventListener("click", function () { window.print(); });
    document.getElementById("inquiry-clear").addEventListener("click", function () { save({}); render(); });
    render();
  }

  refreshButtons();
  setUpSearch(window.catalogueSearch);
  setUpInquiry(window.catalogueSearch);
  window.catalogueFold = fold;
})();
