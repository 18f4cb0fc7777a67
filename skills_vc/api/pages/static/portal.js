// The association portal's enhancements; every form also works without them.
(function () {
  "use strict";

  var form = document.getElementById("record-form");
  if (form) { recordForm(form); }
  var progressSection = document.getElementById("progress-section");
  if (progressSection) { followProgress(progressSection); }

  function recordForm(form) {
    var csrf = form.getAttribute("data-csrf");
    var texts = document.getElementById("js-texts").dataset;
    var chosen = document.getElementById("chosen");
    var chosenEmpty = document.getElementById("chosen-empty");
    var suggestions = document.getElementById("suggestions");
    var status = document.getElementById("suggest-status");
    var template = document.getElementById("skill-template");
    var query = document.getElementById("skill-query");
    var results = document.getElementById("search-results");
    var searchStatus = document.getElementById("search-status");
    var timer = null;
    var lastText = null;
    var sequence = 0;
    var inFlight = false;

    // aria-busy tells assistive technology (and tests) that the suggestions are about to change.
    function busy(on) { suggestions.setAttribute("aria-busy", on ? "true" : "false"); }

    document.querySelectorAll(".no-js-only").forEach(function (el) { el.hidden = true; });

    function typeName(kind) {
      return texts["type" + kind.charAt(0).toUpperCase() + kind.slice(1)] || kind;
    }

    function chosenUris() {
      var uris = {};
      chosen.querySelectorAll("input[name=skills]").forEach(function (box) { uris[box.value] = true; });
      return uris;
    }

    function refreshEmpty() {
      chosenEmpty.hidden = chosen.querySelector("li") !== null;
    }

    // A ticked skill moves to the ticked list; an unticked one leaves it.
    function bind(item) {
      var box = item.querySelector("input[type=checkbox]");
      box.addEventListener("change", function () {
        if (box.checked && item.parentNode !== chosen) {
          chosen.appendChild(item);
          // The same skill may also be listed among the suggestions or the search results.
          [suggestions, results].forEach(function (list) {
            list.querySelectorAll("li").forEach(function (other) {
              if (other.getAttribute("data-uri") === item.getAttribute("data-uri")) { other.remove(); }
            });
          });
        } else if (!box.checked && item.parentNode === chosen) {
          item.parentNode.removeChild(item);
          if (lastText !== null) { suggestions.insertBefore(item, suggestions.firstChild); }
        }
        refreshEmpty();
        box.focus();
      });
    }

    function item(skill, checked) {
      var node = template.content.firstElementChild.cloneNode(true);
      var id = "skill-" + skill.uri.split("/").pop() + "-" + Math.random().toString(36).slice(2, 7);
      var box = node.querySelector("input");
      box.value = skill.uri;
      box.id = id;
      box.checked = checked;
      node.setAttribute("data-uri", skill.uri);
      node.querySelector("label").setAttribute("for", id);
      var label = node.querySelector(".skill-label");
      label.textContent = skill.label;
      if (skill.label_lang && skill.label_lang !== form.language.value) { label.setAttribute("lang", skill.label_lang); }
      var meta = typeName(skill.skill_type);
      if (skill.competent && skill.competent.length) { meta += " · " + texts.competent + " " + skill.competent.join(", "); }
      node.querySelector(".skill-meta").textContent = meta;
      var why = [];
      if (skill.templates && skill.templates.length) { why.push(texts.typical); }
      if (skill.matched_words && skill.matched_words.length) { why.push(texts.words + " " + skill.matched_words.join(", ")); }
      var whyNode = node.querySelector(".skill-why");
      if (why.length) { whyNode.textContent = texts.why + " " + why.join(" · "); } else { whyNode.remove(); }
      node.querySelector("a").href = skill.uri;
      bind(node);
      return node;
    }

    chosen.querySelectorAll("li").forEach(bind);
    suggestions.querySelectorAll("li").forEach(bind);

    function suggestNow() {
      var body = {
        title: form.title.value,
        description: form.description.value,
        tasks: form.tasks.value,
        language: form.language.value
      };
      var text = JSON.stringify(body);
      if (text === lastText) {
        if (!inFlight) { busy(false); }
        return;
      }
      lastText = text;
      if ((body.title + body.description).trim().length < 3) { busy(false); return; }
      var mine = ++sequence;
      inFlight = true;
      status.textContent = texts.loading;
      fetch(form.getAttribute("data-suggest-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: text
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        if (mine !== sequence) { return; }
        var ticked = chosenUris();
        suggestions.textContent = "";
        data.suggestions.forEach(function (skill) {
          if (!ticked[skill.uri]) { suggestions.appendChild(item(skill, false)); }
        });
        status.textContent = data.suggestions.length ? texts.found : texts.none;
        inFlight = false;
        busy(false);
      }).catch(function () {
        if (mine === sequence) {
          status.textContent = texts.failed;
          inFlight = false;
          busy(false);
        }
      });
    }

    form.querySelectorAll("[data-suggest]").forEach(function (field) {
      field.addEventListener("input", function () {
        busy(true);
        clearTimeout(timer);
        timer = setTimeout(suggestNow, 450);
      });
      field.addEventListener("change", suggestNow);
    });

    function searchNow() {
      var q = query.value.trim();
      if (q.length < 2) { return; }
      searchStatus.textContent = texts.loading;
      var url = form.getAttribute("data-search-url") + "?q=" + encodeURIComponent(q) +
        "&lang=" + encodeURIComponent(form.language.value);
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        var ticked = chosenUris();
        results.textContent = "";
        data.skills.forEach(function (skill) {
          if (!ticked[skill.uri]) { results.appendChild(item(skill, false)); }
        });
        searchStatus.textContent = data.skills.length ? "" : texts.noResult;
      }).catch(function () { searchStatus.textContent = texts.failed; });
    }

    // With the script the search button asks without submitting; without it, the form is sent.
    document.getElementById("skill-search-button").addEventListener("click", function (event) {
      event.preventDefault();
      searchNow();
    });
    // Enter in the search box searches; it must not submit (and issue) the form.
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); searchNow(); }
    });
    if (form.title.value || form.description.value) { suggestNow(); }
  }

  function followProgress(section) {
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var template = document.getElementById("progress-texts").getAttribute("data-template");
    var url = section.getAttribute("data-progress-url");
    function poll() {
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (typeof data.total === "number") {
          bar.max = Math.max(1, data.total);
          bar.value = data.done;
          text.textContent = template.replace("{done}", data.done).replace("{total}", data.total);
        }
        if (data.status === "issuing") {
          setTimeout(poll, 500);
        } else {
          window.location.replace(section.getAttribute("data-done-url"));
        }
      }).catch(function () { setTimeout(poll, 2000); });
    }
    poll();
  }
})();
