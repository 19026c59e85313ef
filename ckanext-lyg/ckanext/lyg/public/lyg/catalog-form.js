/* Catalog entry form: the rules of catalog.md shown before submitting.
   The server checks them all again (ckanext.lyg.catalog.rules). */
(function () {
  "use strict";
  var msgs = JSON.parse((document.getElementById("lyg-rule-messages") || {}).textContent || "{}");
  function $(id) { return document.getElementById(id); }
  function val(id) { var el = $(id); return el ? el.value : ""; }

  function hint(field, text) {
    var el = $("field-" + field);
    if (!el) { return; }
    var box = el.closest(".form-group") || el.parentNode;
    var note = box.querySelector(".lyg-rule-hint");
    if (!note) {
      note = document.createElement("div");
      note.className = "lyg-rule-hint text-danger small";
      box.appendChild(note);
    }
    note.textContent = text || "";
    note.style.display = text ? "" : "none";
  }

  function filterCodes() {
    var parent = { item: val("field-catalog_class") };
    var item = val("field-catalog_item").split(":").pop();
    parent.sub = parent.item + item;
    var sub = val("field-catalog_sub").split(":").pop();
    parent.detail = parent.sub + sub;
    ["item", "sub", "detail"].forEach(function (level) {
      var select = $("field-catalog_" + level);
      if (!select) { return; }
      Array.prototype.forEach.call(select.options, function (opt) {
        if (!opt.value) { return; }
        var ok = opt.value.split(":")[0] === parent[level];
        opt.hidden = !ok;
        opt.disabled = !ok;
        if (!ok && opt.selected) { select.value = ""; }
      });
    });
  }

  function rules() {
    var share = val("field-share_type"), open = val("field-open_type"), fmt = val("field-format_class");
    hint("share_basis", share === "none" && !val("field-share_basis") ? msgs.share_basis : "");
    hint("share_condition", share === "conditional" && !val("field-share_condition") ? msgs.share_condition : "");
    hint("open_condition", open === "conditional" && !val("field-open_condition") ? msgs.open_condition : "");
    var openMsg = "";
    if (share === "none" && open && open !== "none") { openMsg = msgs.open_none; }
    if (open === "unconditional" && share && share !== "unconditional") { openMsg = msgs.open_unconditional; }
    hint("open_type", openMsg);
    hint("share_type", share === "none" ? msgs.pending : "");
    var items = document.querySelectorAll('.scheming-subfield-group[data-field="info_items"]');
    var structured = ["电子表格", "数据库", "服务接口"].indexOf(fmt) >= 0;
    hint("format_class", structured && items.length === 0 ? msgs.info_items : "");
    ["share_mode_class", "share_mode_type"].forEach(function (f) {
      var el = $("field-" + f);
      if (el) { (el.closest(".form-group") || el).style.opacity = share === "none" ? 0.5 : 1; }
    });
  }

  function renumber() {
    var groups = document.querySelectorAll('.scheming-subfield-group[data-field="info_items"]');
    Array.prototype.forEach.call(groups, function (group, n) {
      group.setAttribute("data-group-index", n);
      if (window.jQuery) { window.jQuery(group).data("groupIndex", n); }  /* scheming's add reads it */
      group.querySelectorAll("[name^='info_items-']").forEach(function (input) {
        input.name = input.name.replace(/^info_items-\d+-/, "info_items-" + n + "-");
        if (input.id) { input.id = input.id.replace(/^field-info_items-\d+-/, "field-info_items-" + n + "-"); }
      });
    });
  }

  function addMoveButtons() {
    document.querySelectorAll('.scheming-subfield-group[data-field="info_items"]').forEach(function (group) {
      var header = group.querySelector(".panel-heading");
      /* not in scheming's hidden row template: copies of it get their buttons here */
      if (!header || header.querySelector(".lyg-move") || group.closest('[name="repeating-template"]')) { return; }
      [["up", "↑"], ["down", "↓"]].forEach(function (pair) {
        var b = document.createElement("a");
        b.href = "javascript:;";
        b.className = "btn btn-default btn-sm lyg-move lyg-move-" + pair[0];
        b.setAttribute("data-move", pair[0]);
        b.title = msgs[pair[0]];
        b.textContent = pair[1];
        header.appendChild(b);
      });
    });
  }

  function move(button) {
    var group = button.closest(".scheming-subfield-group");
    var up = button.getAttribute("data-move") === "up";
    var other = up ? group.previousElementSibling : group.nextElementSibling;
    if (!other || !other.classList.contains("scheming-subfield-group")) { return; }
    if (up) { group.parentNode.insertBefore(group, other); }
    else { group.parentNode.insertBefore(other, group); }
  }

  document.addEventListener("change", function (e) {
    if (e.target && /^field-catalog_/.test(e.target.id)) { filterCodes(); }
    rules();
  });
  document.addEventListener("input", rules);
  /* after scheming's add/remove and our moves: rows numbered 0, 1, … in page order */
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest(".lyg-move") : null;
    if (button) { e.preventDefault(); move(button); }
    setTimeout(function () { renumber(); addMoveButtons(); rules(); }, 0);
  });
  document.addEventListener("DOMContentLoaded", function () { filterCodes(); rules(); addMoveButtons(); });
})();
