// Board filters: stage, owner and source, kept in the URL hash so a filtered view can be shared.
// Without scripts the board shows every deal and the filter form stays hidden.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var columns = Array.prototype.slice.call(document.querySelectorAll(".column"));
  var output = document.getElementById("filter-count");
  form.hidden = false;

  function read() {
    var params = new URLSearchParams(location.hash.slice(1));
    ["stage", "owner", "source"].forEach(function (name) {
      var value = params.get(name) || "";
      var select = form.elements[name];
      if (Array.prototype.some.call(select.options, function (o) { return o.value === value; })) {
        select.value = value;
      }
    });
  }

  function apply() {
    var want = { stage: form.elements.stage.value, owner: form.elements.owner.value,
                 source: form.elements.source.value };
    var shown = 0;
    cards.forEach(function (card) {
      var ok = (!want.owner || card.dataset.owner === want.owner) &&
               (!want.source || card.dataset.source === want.source);
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    columns.forEach(function (col) {
      col.hidden = !!want.stage && col.dataset.stage !== want.stage;
    });
    var params = new URLSearchParams();
    Object.keys(want).forEach(function (k) { if (want[k]) { params.set(k, want[k]); } });
    var hash = params.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    output.textContent = (want.owner || want.source) ? shown + " of " + cards.length + " deals" : "";
  }

  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  read();
  apply();
}());
