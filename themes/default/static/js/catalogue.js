/* Catalogue: search and filters on the product index, and the buyer's inquiry list.
 * Works over http and from file:// (no fetch: the index arrives as a <script>).
 * Without JavaScript every page still lists everything with plain links. */
(function () {
  "use strict";

  var STORE_KEY = "catalogue-inquiry-v1";
  var PAGE = 36;  /* cards shown at once for a search, as on a page of the list */
  var linkStyle = document.body.getAttribute("data-link-style") || "pretty";

  /* --- text folding: must match catalogue/outputs/search.py fold() ---------------- */
  var MARKS = /[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed]/g;
  var PUNCT = /[\p{P}\p{S}]/gu;
  var WIDTHS = /[\uff00-\uffef]/g;  /* half-width katakana, full-width Latin: their usual forms */
  function fold(text) {
    return String(text).replace(WIDTHS, function (c) { return c.normalize("NFKC"); }).replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").toLowerCase()
      .replace(MARKS, "").replace(/[أإآٱ]/g, "ا").replace(/[ىئ]/g, "ي").replace(/ؤ/g, "و")
      .replace(/ة/g, "ه").replace(/ـ/g, "").normalize("NFC")
      .replace(/[\u30a1-\u30f6]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0x60); })
      .replace(PUNCT, " ")
      .replace(/[\s\u00a0\u3000]+/g, " ").trim();
  }
  var UNSPACED = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]/;
  /* Query -> terms; runs of Japanese/Chinese/Thai become overlapping character pairs. */
  function stem(word) {
    /* English plurals as buyers type them: teas -> tea, boxes -> box, berries -> berr(y) */
    if (!/^[a-z]{4,}$/.test(word)) { return word; }
    if (/ies$/.test(word)) { return word.slice(0, -3); }
    if (/(ches|shes|sses|xes|zes)$/.test(word)) { return word.slice(0, -2); }
    if (/[^su]s$/.test(word)) { return word.slice(0, -1); }
    return word;
  }
  function terms(query) {
    var out = [];
    fold(query).split(" ").forEach(function (word) {
      if (!word) { return; }
      word = stem(word.replace(/^[おご](?=[\u3400-\u9fff])/, ""));  /* お茶 is 茶 */
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
  /* The query's words together, as looked for in an item's fields for the phrase bonus (which
   * setUpSearch keeps with a space in front, so that "at the start of a word" is one indexOf) */
  function needle(word) { return ANYWHERE.test(word) ? word : " " + word; }
  function found(field, sought) { return field.indexOf(sought) >= 0; }
  /* One typo (a letter wrong, missing, added, or two swapped) between `a` and the first `lb`
   * letters of `b`, in a word of five letters or more: "hoeny" finds honey. Letter by letter,
   * without cutting strings: a keystroke tries every word of the catalogue. */
  function nearly(a, b, lb) {
    var la = a.length;
    if (la - lb > 1 || lb - la > 1) { return false; }
    var i = 0;
    while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) { i++; }
    if (la === lb) {
      return same(a, i + 1, b, i + 1, la - i - 1) ||
        (i + 1 < la && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i) &&
         same(a, i + 2, b, i + 2, la - i - 2));
    }
    return la > lb ? same(a, i + 1, b, i, lb - i) : same(a, i, b, i + 1, la - i);
  }
  function same(a, from, b, at, count) {
    for (var k = 0; k < count; k++) { if (a.charCodeAt(from + k) !== b.charCodeAt(at + k)) { return false; } }
    return true;
  }
  /* Whether a word of an item is one typo from the query's word (or starts with such a word) */
  function near(word, other) {
    return other.length >= 4 && (nearly(word, other, other.length) ||
                                 (other.length > word.length && nearly(word, other, word.length)));
  }
  function typoAllowed(word) { return word.length >= 5 && !ANYWHERE.test(word); }
  /* weights of a match in the name, other names, keywords, summary, body */
  var WEIGHTS = [10, 6, 5, 4, 1];
  /* The words of a query found in an item (their weights summed; 0: one is missing), and
   * a bonus for the words together, in order */
  function score(item, at, weights, phrase) {
    var total = 0, least = 10;
    for (var w = 0; w < weights.length; w++) {
      var one = weights[w][at];
      if (!one) { return 0; }
      total += one;
      if (one < least) { least = one; }
    }
    /* the phrase can be in a field only if each word is: its best field is that one or better */
    if (phrase && least >= WEIGHTS[3]) {
      var fields = item._fields;
      if (least === WEIGHTS[0] && found(fields[0], phrase)) { total += 20; } else if (found(fields[3], phrase) || found(fields[1], phrase)) { total += 8; }
    }
    return total;
  }
  /* The first place in a sorted list at which `word` would go */
  function lowerBound(list, word) {
    var low = 0, high = list.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (list[middle] < word) { low = middle + 1; } else { high = middle; }
    }
    return low;
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
  var pluralRules = null;  /* the page language's, made once: making them costs more than a search */
  function pluralOf(n) {
    if (!window.Intl || !Intl.PluralRules) { return n === 1 ? "one" : "other"; }
    pluralRules = pluralRules || new Intl.PluralRules(document.documentElement.lang || "en");
    return pluralRules.select(n);
  }
  function countText(element, n) {
    var forms = JSON.parse(element.getAttribute("data-plural") || "{}");
    var category = pluralOf(n);
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
    if (!index || !index.items) {  /* the index did not load: the page's own list stays, and says so */
      var failed = document.getElementById("search-failed");
      if (failed) { failed.hidden = false; }
      return;
    }
    var input = form.querySelector("input[name=q]");
    var status = document.getElementById("result-count");
    var empty = document.getElementById("no-results");
    var cards = {};
    list.querySelectorAll("[data-product]").forEach(function (card) { cards[card.getAttribute("data-product")] = card; });
    var labelWords = {};  /* "facet code" -> the folded label of the page's language, made once */
    Object.keys(index.labels || {}).forEach(function (facet) {
      Object.keys(index.labels[facet]).forEach(function (code) { labelWords[facet + " " + code] = fold(index.labels[facet][code]); });
    });
    index.items.forEach(function (item, i) {
      item.s = fold(item.t || "");  /* the index holds the summary once, as shown */
      var extra = [];
      Object.keys(item.f).forEach(function (facet) {
        item.f[facet].forEach(function (code) { var w = labelWords[facet + " " + code]; if (w) { extra.push(w); } });
      });
      item.k = ((item.k || "") + " " + extra.join(" ")).trim();
      item._fields = [" " + item.n, " " + (item.a || ""), " " + item.k, " " + item.s, " " + (item.b || "")];
    });
    /* The index's words, each once with the items using it and the best field it is in there
     * (item * 8 + field), and sorted: a word typed is then a range of that list, found by
     * halving, and a keystroke costs what it finds, not the size of the catalogue. Made just
     * after the page is ready, a thousand items at a time (or by the first search, if that
     * comes first). */
    var vocabulary = new Map(), sortedWords = null, typoWords = null, added = 0;
    function addWords(upTo) {
      for (; added < upTo; added++) {
        var fields = index.items[added]._fields, use = added * 8;
        for (var f = 0; f < 5; f++) {
          var inField = fields[f].split(" ");
          for (var w = 0; w < inField.length; w++) {
            var word = inField[w];
            if (!word) { continue; }
            var users = vocabulary.get(word);
            if (!users) { vocabulary.set(word, [use + f]); } else if (users[users.length - 1] >> 3 !== added) { users.push(use + f); }
          }
        }
      }
    }
    function knownWords() {
      if (!sortedWords) {
        addWords(index.items.length);
        sortedWords = Array.from(vocabulary.keys()).sort();
        typoWords = sortedWords.filter(function (word) {  /* in a name, keyword or summary */
          return word.length >= 4 && vocabulary.get(word).some(function (use) { return (use & 7) < 4; });
        });
        form.setAttribute("data-ready", String(Math.round(performance.now())));  /* ms after the page began */
      }
      return vocabulary;
    }
    function addSome() {  /* a thousand items a task: the page answers meanwhile */
      if (sortedWords) { return; }
      addWords(Math.min(index.items.length, added + 1000));
      setTimeout(added < index.items.length ? addSome : knownWords, 0);
    }
    setTimeout(addSome, 0);
    /* One word of a query: each item's weight for it (0: not found), kept for the keystrokes
     * that follow. Spaced scripts match at the start of a word, the others anywhere in one;
     * failing that, one typo away in a name, keyword or summary weighs 2. */
    var weightsFound = new Map();
    function weightsOf(word) {
      if (weightsFound.has(word)) { return weightsFound.get(word); }
      if (weightsFound.size >= 64) { weightsFound.clear(); }
      var known = knownWords(), weights = new Uint8Array(index.items.length);
      function take(users) {
        for (var u = 0; u < users.length; u++) {
          var at = users[u] >> 3, weight = WEIGHTS[users[u] & 7];
          if (weight > weights[at]) { weights[at] = weight; }
        }
      }
      function takeTypo(users) {
        for (var u = 0; u < users.length; u++) {
          if ((users[u] & 7) < 4 && !weights[users[u] >> 3]) { weights[users[u] >> 3] = 2; }
        }
      }
      if (ANYWHERE.test(word)) {
        known.forEach(function (users, other) { if (other.indexOf(word) >= 0) { take(users); } });
      } else {
        for (var at = lowerBound(sortedWords, word); at < sortedWords.length && sortedWords[at].lastIndexOf(word, 0) === 0; at++) {
          take(known.get(sortedWords[at]));
        }
        if (typoAllowed(word)) {  /* after every exact match: a typo never outweighs one */
          var typos = typoWords.filter(function (other) { return near(word, other); });
          typos.forEach(function (other) { takeTypo(known.get(other)); });
        }
      }
      weightsFound.set(word, weights);
      return weights;
    }
    facetForm.hidden = false;
    document.querySelectorAll(".facet-links").forEach(function (links) { links.hidden = true; });
    var options = [];  /* each filter option's box, label and count, found once */
    index.facets.forEach(function (facet) {
      facetForm.querySelectorAll("input[name='" + facet + "']").forEach(function (box) {
        var label = box.closest("label");
        options.push({ facet: facet, box: box, label: label, count: label.querySelector("[data-count]") });
      });
    });
    /* each item's options, facet by facet, found once; and each option's facet */
    var optionAt = new Map(), optionFacet = options.map(function (option) { return index.facets.indexOf(option.facet); });
    options.forEach(function (option, k) { optionAt.set(option.facet + " " + option.box.value, k); });
    for (var it = 0; it < index.items.length; it++) {
      var item = index.items[it], ids = [];
      for (var fi = 0; fi < index.facets.length; fi++) {
        var codes = item.f[index.facets[fi]] || [];
        for (var ci = 0; ci < codes.length; ci++) {
          var k = optionAt.get(index.facets[fi] + " " + codes[ci]);
          if (k !== undefined) { ids.push(k); }
        }
      }
      item._options = ids;
    }

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
    /* --- cards: the page's own, or made from the index for the products of other pages */
    var serverOrder = Object.keys(cards);
    var serverPages = document.getElementById("server-pages");
    var more = document.getElementById("more-results");
    var template = document.getElementById("card-template");
    var root = new URL(list.getAttribute("data-root") || "../../", location.href);
    var productsBase = new URL(list.getAttribute("data-products") || "./", location.href);
    var starForms = template ? JSON.parse(template.getAttribute("data-stars") || "{}") : {};
    var labels = index.labels || {};
    var made = {}, limit = PAGE, lastActive = false;
    function made_card(item) {
      var card = template.content.firstElementChild.cloneNode(true);
      card.setAttribute("data-product", item.id);
      var link = card.querySelector(".card-link");
      link.href = new URL(encodeURIComponent(item.id) + "/" + (linkStyle === "files" ? "index.html" : ""), productsBase).href;
      var img = card.querySelector("img");
      if (item.c) {
        img.src = new URL(item.c[0], root).href;
        img.width = item.c[1]; img.height = item.c[2];
        img.alt = item.name;
      } else {
        img.remove();
      }
      var category = (item.f.category || [])[0], district = (item.f.district || [])[0], stars = +((item.f.stars || [])[0] || 0);
      card.querySelector(".card-kicker").textContent = (labels.category || {})[category] || category || "";
      ["card-title", "card-summary"].forEach(function (name, i) {
        var el = card.querySelector("." + name);
        el.textContent = i ? (item.t || "") : item.name;
        if (item.l) { el.lang = item.l[0]; el.dir = item.l[1]; }
      });
      var starsBox = card.querySelector(".stars");
      var category_of_n = pluralOf(stars);
      starsBox.setAttribute("aria-label", (starForms[category_of_n] || starForms.other || "{n}").replace("{n}", String(stars)));
      starsBox.querySelector(".stars-on").textContent = "★".repeat(stars);
      starsBox.querySelector(".stars-off").textContent = "★".repeat(Math.max(0, 5 - stars));
      card.querySelector(".card-meta bdi").textContent = (labels.district || {})[district] || district || "";
      var button = card.querySelector("button[data-inquiry]");
      button.setAttribute("data-inquiry", item.id);
      button.setAttribute("data-name", item.name);
      return card;
    }
    function cardOf(item) {
      if (cards[item.id]) { return cards[item.id]; }
      if (!made[item.id]) { made[item.id] = made_card(item); }
      return made[item.id];
    }
    function show(scored, active) {
      if (!active) {
        list.textContent = "";  /* as the page was made: its own cards, its own pages */
        serverOrder.forEach(function (slug) { cards[slug].hidden = false; list.appendChild(cards[slug]); });
        if (serverPages) { serverPages.hidden = false; }
        if (more) { more.hidden = true; }
        return;
      }
      var shown = (template ? scored.slice(0, limit) : scored.filter(function (item) { return cards[item.id]; })).map(cardOf);
      var children = list.children, same = children.length === shown.length;
      for (var c = 0; same && c < shown.length; c++) { same = children[c] === shown[c] && !shown[c].hidden; }
      if (!same) {  /* typing on often finds the same first cards: then the list is left alone */
        list.textContent = "";
        shown.forEach(function (card) { card.hidden = false; list.appendChild(card); });
      }
      if (serverPages) { serverPages.hidden = true; }
      if (more) { more.hidden = !template || scored.length <= limit; }
      refreshButtons();
    }
    function apply(updateUrl) {
      var words = terms(input.value), chosen = selected();
      var active = words.length > 0 || index.facets.some(function (facet) { return chosen[facet].length > 0; });
      if (active !== lastActive) { limit = PAGE; lastActive = active; }
      var scored = [], joined = words.join(" ");
      var phrase = words.length > 1 && !ANYWHERE.test(joined) ? needle(joined) : null;
      var narrowing = index.facets.some(function (facet) { return chosen[facet].length > 0; });
      var weights = words.map(weightsOf), byScore = {};
      for (var i = 0; i < index.items.length; i++) {
        var item = index.items[i];
        var s = words.length ? score(item, i, weights, phrase) : 1;
        item._score = s;
        if (s && (!narrowing || passes(item, chosen, null))) { (byScore[s] || (byScore[s] = [])).push(item); }
      }
      /* best score first, then in the site's order (the order of the index): one pass, no sort */
      Object.keys(byScore).map(Number).sort(function (a, b) { return b - a; }).forEach(function (s) {
        for (var b = 0, bucket = byScore[s]; b < bucket.length; b++) { scored.push(bucket[b]); }
      });
      show(scored, active);
      /* each option's count: the products the query finds that pass every other facet (one pass) */
      var tally = new Int32Array(options.length), facets = index.facets;
      var narrowed = facets.some(function (facet) { return chosen[facet].length; });
      for (var at = 0; at < index.items.length; at++) {
        var one = index.items[at];
        if (!one._score) { continue; }
        var all = !narrowed || passes(one, chosen, null), ids = one._options, facet = -1, counted = all;
        for (var c = 0; c < ids.length; c++) {
          if (!all && optionFacet[ids[c]] !== facet) {  /* passes every facet but this one? */
            facet = optionFacet[ids[c]];
            counted = passes(one, chosen, facets[facet]);
          }
          if (counted) { tally[ids[c]]++; }
        }
      }
      options.forEach(function (option, k) {
        var n = tally[k], text = String(n);
        if (option.count.textContent !== text) { option.count.textContent = text; }
        option.label.classList.toggle("is-empty", n === 0 && !option.box.checked);
      });
      status.textContent = countText(status, scored.length);
      empty.hidden = scored.length > 0;
      if (updateUrl) { writeState(input.value, chosen); }
    }
    if (more) {
      more.querySelector("button").addEventListener("click", function () { limit += PAGE; apply(false); });
    }
    /* The view goes into the address just after the results are shown (the browser's history
     * is slow to write, and a buyer typing needs only the last); leaving the page writes it too. */
    var pendingHash = null, stateTimer = null;
    function writeState(query, chosen) {
      var params = new URLSearchParams();
      if (query.trim()) { params.set("q", query.trim()); }
      index.facets.forEach(function (facet) { chosen[facet].forEach(function (code) { params.append(facet, code); }); });
      pendingHash = params.toString();
      if (stateTimer === null) { stateTimer = setTimeout(flushState, 40); }
    }
    function flushState() {
      clearTimeout(stateTimer);
      stateTimer = null;
      if (pendingHash === null) { return; }
      var hash = pendingHash, url = location.href.split("#")[0].split("?")[0] + (hash ? "#" + hash : "");
      pendingHash = null;
      try { history.replaceState(null, "", url); } catch (e) { location.replace(hash ? "#" + hash : "#"); }
    }
    window.addEventListener("pagehide", flushState);
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
    window.addEventListener("hashchange", function () { pendingHash = null; readState(); apply(false); });
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
    var buyer = document.getElementById("buyer");
    var status = document.getElementById("inquiry-status");
    var BUYER_KEY = "catalogue-buyer-v1", REF_KEY = "catalogue-inquiry-ref-v1";
    var items = {};
    (index ? index.items : []).forEach(function (item) { items[item.id] = item; });
    function text(name) { return root.getAttribute("data-" + name) || ""; }
    /* the product's page on the published site: from a bundle on disk too, never a file:// path */
    function publicUrl(slug) { return text("public") + encodeURIComponent(slug) + "/"; }
    function readStore(key) {
      try { return JSON.parse(window.localStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
    }
    function writeStore(key, value) {
      try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
    }
    function reference() {
      var ref = readStore(REF_KEY);
      if (!ref.id) {
        var now = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
        var random = Math.floor(Math.random() * 0xffff).toString(16).toUpperCase();
        ref = {id: "RFQ-" + now.getFullYear() + pad(now.getMonth() + 1) + pad(now.getDate()) + "-" +
                   ("0000" + random).slice(-4), date: now.toISOString().slice(0, 10)};
        writeStore(REF_KEY, ref);
      }
      return ref;
    }
    function buyerDetails() {
      var details = {};
      buyer.querySelectorAll("input, textarea").forEach(function (field) { details[field.name] = field.value.trim(); });
      return details;
    }
    function rows(list) {
      return Object.keys(list).map(function (slug) {
        var item = items[slug] || {};
        return {slug: slug, name: item.name || list[slug].name || slug, code: item.h || "", moq: item.q || "",
                quantity: list[slug].q || "", url: publicUrl(slug)};
      });
    }
    function asText(list) {
      var ref = reference(), who = buyerDetails(), lines = [text("greeting"), ""];
      rows(list).forEach(function (row, i) {
        lines.push((i + 1) + ". " + row.name + (row.quantity ? " — " + text("quantity") + ": " + row.quantity : ""));
        if (row.code || row.moq) {
          lines.push("   " + [row.code ? text("code") + ": " + row.code : "", row.moq ? text("minimum") + ": " + row.moq : ""]
            .filter(Boolean).join(" · "));
        }
        lines.push("   " + row.url);
      });
      lines.push("", text("buyer") + ":");
      [["name", "name-label"], ["company", "company"], ["country", "country"], ["email", "email-label"]].forEach(function (pair) {
        lines.push("   " + text(pair[1]) + ": " + (who[pair[0]] || ""));
      });
      if (who.message) { lines.push("", who.message); }
      lines.push("", text("reference") + ": " + ref.id + " · " + text("date") + ": " + ref.date, "");
      return lines.join("\n");
    }
    function csvCell(value) {
      var v = String(value == null ? "" : value);
      /* a spreadsheet must not read it as a formula (the rule of catalogue.csv: after spaces too,
       * and in full-width forms) */
      var first = v.replace(/^[ \u00a0\u3000]+/, "").charAt(0).normalize("NFKC");
      if (/^[\t\r]/.test(v) || (first && "=+-@".indexOf(first) >= 0)) { v = "'" + v; }
      return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
    }
    function asCsv(list) {
      var ref = reference(), who = buyerDetails();
      var head = ["reference", "date", "product", "code", "minimum_order", "quantity", "url",
                  "buyer_name", "company", "country", "email", "message"];
      var lines = [head.join(",")];
      rows(list).forEach(function (row) {
        lines.push([ref.id, ref.date, row.name, row.code, row.moq, row.quantity, row.url, who.name, who.company,
                    who.country, who.email, who.message].map(csvCell).join(","));
      });
      return "\ufeff" + lines.join("\r\n") + "\r\n";  /* a BOM: spreadsheets read UTF-8 as such */
    }
    function mailto(list) {
      /* the address as the page encoded it: its ? & , % cannot add a recipient or a body */
      return text("mailto") + "?subject=" + encodeURIComponent(text("subject") + " (" + reference().id + ")") +
        "&body=" + encodeURIComponent(asText(list));
    }
    function render() {
      var list = load(), slugs = Object.keys(list);
      body.textContent = "";
      rows(list).forEach(function (data) {
        var slug = data.slug;
        var row = rowTemplate.content.firstElementChild.cloneNode(true);
        var link = row.querySelector("a");
        link.textContent = data.name;
        link.href = productHref(slug);
        row.querySelector(".rfq-code").textContent = data.code ? " " + text("code") + " " + data.code : "";
        row.querySelector(".rfq-moq").textContent = data.moq;
        var quantity = row.querySelector("input");
        quantity.value = data.quantity;
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
      document.getElementById("rfq").hidden = slugs.length === 0;
      document.getElementById("inquiry-empty").hidden = slugs.length > 0;
      document.getElementById("inquiry-actions").hidden = slugs.length === 0;
      update();
    }
    function update() {
      var list = load(), ref = reference();
      var mail = document.getElementById("inquiry-mail");
      if (mail) { mail.href = mailto(list); }
      var csv = document.getElementById("inquiry-csv");
      csv.href = "data:text/csv;charset=utf-8," + encodeURIComponent(asCsv(list));
      csv.setAttribute("download", ref.id + ".csv");
      document.getElementById("rfq-reference").textContent = ref.id;
      document.getElementById("rfq-date").textContent = ref.date;
    }
    var saved = readStore(BUYER_KEY);
    buyer.querySelectorAll("input, textarea").forEach(function (field) {
      field.value = saved[field.name] || "";
      field.addEventListener("input", function () { writeStore(BUYER_KEY, buyerDetails()); update(); });
    });
    document.getElementById("inquiry-copy").addEventListener("click", function () {
      var done = function () { status.textContent = text("copied"); };
      var fallback = function () {
        var area = document.createElement("textarea");
        area.value = asText(load());
        document.body.appendChild(area);
        area.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        area.remove();
        status.textContent = ok ? text("copied") : text("copy-failed");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(asText(load())).then(done, fallback);
      } else {
        fallback();
      }
    });
    document.getElementById("inquiry-print").addEventListener("click", function () { window.print(); });
    document.getElementById("inquiry-clear").addEventListener("click", function () {
      if (!window.confirm(text("confirm"))) { return; }
      save({});
      writeStore(REF_KEY, {});
      render();
    });
    render();
  }

  refreshButtons();
  setUpSearch(window.catalogueSearch);
  setUpInquiry(window.catalogueSearch);
  window.catalogueFold = fold;
})();
