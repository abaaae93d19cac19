/* formgen serve: the record page's behaviour (lists, live 字数, validation as you type,
   save, generate, figure upload) and the bureau page's downloads. Plain DOM, no library;
   every text from the server is set as textContent, never as HTML.
   formgenCount(text) comes from count.js (the same algorithm as formgen/textcount.py). */
(function () {
  "use strict";

  var HEADER = "X-Formgen-Token";
  var DEBOUNCE_MS = 400;

  function token() {
    var meta = document.querySelector('meta[name="formgen-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, body, isForm) {
    var headers = {};
    headers[HEADER] = token();
    if (!isForm) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST",
      headers: headers,
      body: isForm ? body : JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (resp) {
      return resp.json().then(
        function (data) { data.status = resp.status; data.retryAfter = Number(resp.headers.get("Retry-After")) || 0; return data; },
        function () { return { ok: false, status: resp.status, message: "服务器返回了无法识别的内容（" + resp.status + "）" }; }
      );
    }, function () {
      return { ok: false, status: 0, message: "无法连接 formgen serve：它是否已停止？" };
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- 字数 --------------------------------------------------------------------------

  function updateCount(field) {
    var span = field.querySelector(":scope > .meta .count");
    var box = field.querySelector(":scope > textarea, :scope > input[name]");
    if (!span || !box || typeof window.formgenCount !== "function") return;
    var n = window.formgenCount(box.value);
    span.textContent = String(n);
    var limit = parseInt(span.getAttribute("data-limit"), 10);
    span.classList.toggle("over", !isNaN(limit) && n > limit);
  }

  function updateTotals() {
    if (typeof window.formgenCount !== "function") return;
    document.querySelectorAll("#record .total").forEach(function (box) {
      var n = 0;
      box.getAttribute("data-paths").split(" ").forEach(function (path) {
        var c = document.querySelector('#record [name="' + path.replace(/"/g, '\\"') + '"]');
        if (c) n += window.formgenCount(c.value);
      });
      var span = box.querySelector(".count");
      span.textContent = String(n);
      var max = parseInt(span.getAttribute("data-limit"), 10);
      var min = parseInt(box.getAttribute("data-min"), 10);
      span.classList.toggle("over", !isNaN(max) && n > max);
      span.classList.toggle("under", !isNaN(min) && n < min);
    });
  }

  // --- paths of list items -------------------------------------------------------------

  function concrete(pattern, indices) {
    var i = 0;
    return pattern.replace(/\[\]/g, function (m) {
      return i < indices.length ? "[" + indices[i++] + "]" : m;
    });
  }

  function indicesOf(node) {
    var out = [];
    for (var p = node.parentElement; p; p = p.parentElement) {
      if (p.classList.contains("item")) out.unshift(parseInt(p.getAttribute("data-index"), 10));
    }
    return out;
  }

  function setPath(field, path) {
    field.setAttribute("data-path", path);
    field.id = "f-" + path;
    var control = field.querySelector(":scope > input[name], :scope > textarea[name], :scope > select[name]");
    if (control) {
      control.name = path;
      control.id = "c-" + path;
    }
    var label = field.querySelector(":scope > label");
    if (label && control) label.htmlFor = control.id;
  }

  function renumber(root) {
    root.querySelectorAll(".list > .items").forEach(function (items) {
      var n = 0;
      Array.prototype.forEach.call(items.children, function (item) {
        if (!item.classList.contains("item")) return;
        item.setAttribute("data-index", String(n));
        var no = item.querySelector(":scope > .item-head .item-no");
        if (no) no.textContent = "第 " + (n + 1) + " 项";
        n += 1;
      });
    });
    root.querySelectorAll(".list").forEach(function (list) {
      var pattern = list.getAttribute("data-list").replace(/\[\]$/, "");
      var path = concrete(pattern, indicesOf(list));
      list.setAttribute("data-path", path);
      list.id = "f-" + path;
    });
    root.querySelectorAll(".field[data-pattern]").forEach(function (field) {
      setPath(field, concrete(field.getAttribute("data-pattern"), indicesOf(field)));
    });
  }

  // --- what the page holds ---------------------------------------------------------------

  function collect(form) {
    var values = {};
    var entries = [];
    form.querySelectorAll(".field[data-pattern] > [name]").forEach(function (c) {
      if (c.tagName === "SELECT" && c.multiple) {
        values[c.name] = Array.prototype.filter.call(c.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }).join("\n");
      } else {
        values[c.name] = c.value;
      }
    });
    form.querySelectorAll(".field.entry").forEach(function (row) {
      entries.push({
        path: row.getAttribute("data-entry"),
        key: row.querySelector(".entry-key").value,
        value: row.querySelector(".entry-value").value,
      });
    });
    var items = [];
    form.querySelectorAll(".list > .items > .item").forEach(function (item) {
      items.push(item.parentElement.parentElement.getAttribute("data-path") + "[" + item.getAttribute("data-index") + "]");
    });
    return { values: values, entries: entries, items: items, sha256: form.getAttribute("data-sha256") };
  }

  // --- findings ---------------------------------------------------------------------------

  function targetOf(path) {
    while (path) {
      if (document.getElementById("f-" + path)) return path;
      var cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      path = cut > 0 ? path.slice(0, cut) : "";
    }
    return "";
  }

  function status(text, cls) {
    var s = document.getElementById("status");
    if (!s) return;
    s.textContent = text;
    s.className = cls || "";
  }

  function showFindings(findings) {
    document.querySelectorAll("#record ul.findings").forEach(function (ul) { ul.textContent = ""; });
    document.querySelectorAll("#record .has-error, #record .has-warning").forEach(function (e) {
      e.classList.remove("has-error", "has-warning");
    });
    var summary = document.getElementById("summary");
    summary.textContent = "";
    findings.forEach(function (f) {
      var target = targetOf(f.path);
      var li = el("li", "finding " + f.severity);
      li.setAttribute("data-code", f.code);
      li.setAttribute("data-path", f.path);
      var a = el("a", "", f.text);
      a.href = target ? "#f-" + target : "#summary";
      li.appendChild(a);
      summary.appendChild(li);
      if (!target) return;
      var holder = document.getElementById("f-" + target);
      var ul = holder.querySelector(":scope > ul.findings");
      if (!ul) return;
      var item = el("li", "finding " + f.severity, f.text);
      item.setAttribute("data-code", f.code);
      ul.appendChild(item);
      holder.classList.add(f.severity === "error" ? "has-error" : "has-warning");
    });
  }

  function counts(findings) {
    var errors = findings.filter(function (f) { return f.severity === "error"; }).length;
    var warnings = findings.length - errors;
    return findings.length ? "共 " + errors + " 个错误，" + warnings + " 个警告" : "检查通过：没有发现问题";
  }

  var conflict = false;

  function conflictStatus(message) {
    conflict = true;
    status(message || "文件在打开后已被其他程序修改：保存已停用，请重新载入页面（未保存的修改请先复制出来）", "conflict");
  }

  // --- the record page ----------------------------------------------------------------------

  function recordPage(form) {
    var base = form.getAttribute("data-base");  // the record's address, as the server wrote it
    var timer = null;
    var running = 0;

    function validate() {
      var mine = ++running;
      post(base + "/validate", collect(form)).then(function (r) {
        if (mine !== running) return;  // a newer check is under way
        if (r.status === 429) {  // the server asks for a pause: say so, check again then (typing goes on)
          status(r.message, "busy");
          clearTimeout(timer);
          timer = setTimeout(validate, Math.max(1, r.retryAfter) * 1000);
          return;
        }
        if (!r.ok) { status(r.message || "检查失败", "error"); return; }
        showFindings(r.findings);
        if (r.changed_on_disk) conflictStatus();
        else if (!conflict) status(counts(r.findings), r.errors ? "has-errors" : "");
      });
    }

    function changed() {
      clearTimeout(timer);
      timer = setTimeout(validate, DEBOUNCE_MS);
    }

    form.addEventListener("input", function (ev) {
      var field = ev.target.closest(".field");
      if (field) { updateCount(field); updateTotals(); }
      if (ev.target.classList.contains("entry-key")) {
        var row = ev.target.closest(".field.entry");
        var path = row.getAttribute("data-entry") + "." + ev.target.value.trim();
        row.setAttribute("data-path", path);
        row.id = "f-" + path;
        row.querySelector(".entry-value").name = path;
      }
      if (!ev.target.classList.contains("figure-upload")) changed();
    });
    form.addEventListener("change", function (ev) {
      if (ev.target.classList.contains("figure-upload")) { upload(ev.target); return; }
      if (ev.target.name === "pack" || ev.target.name === "factory.level") relayout();
      if (ev.target.tagName === "SELECT" && /^scenarios\[\d+\]\.name$/.test(ev.target.name)) fillStage(ev.target);
      if (ev.target.tagName === "SELECT" || ev.target.type === "checkbox") {
        if (ev.target.id !== "draft" && ev.target.id !== "pdf") changed();
      }
      if (ev.target.closest(".field[data-pattern='figures[].file']")) imageInfo(ev.target.closest(".field"));
    });

    form.addEventListener("click", function (ev) {
      var b = ev.target.closest("button");
      if (!b) return;
      var item = b.closest(".item");
      if (b.classList.contains("add-item")) {
        var list = b.closest(".list");
        var tpl = list.querySelector(":scope > template.item-template");
        var copy = tpl.content.firstElementChild.cloneNode(true);
        list.querySelector(":scope > .items").appendChild(copy);
        renumber(form);
        var first = copy.querySelector("input, select, textarea");
        if (first) first.focus();
        changed();
      } else if (b.classList.contains("remove-item") && item) {
        item.remove();
        renumber(form);
        changed();
      } else if (b.classList.contains("move-up") && item && item.previousElementSibling) {
        item.parentElement.insertBefore(item, item.previousElementSibling);
        renumber(form);
        changed();
      } else if (b.classList.contains("move-down") && item && item.nextElementSibling) {
        item.parentElement.insertBefore(item.nextElementSibling, item);
        renumber(form);
        changed();
      } else if (b.classList.contains("add-entry")) {
        var box = b.closest(".entries");
        var row = box.querySelector(":scope > template.entry-template").content.firstElementChild.cloneNode(true);
        box.querySelector(":scope > .rows").appendChild(row);
        row.querySelector(".entry-key").focus();
      } else if (b.classList.contains("remove-entry")) {
        b.closest(".field.entry").remove();
        changed();
      } else if (b.id === "save") {
        save();
      } else if (b.id === "generate") {
        generate();
      }
    });

    // --- the page laid out again for the pack and level chosen (before saving) -----------

    function fillStage(select) {
      // a scenario's 环节 is the group the catalogue puts its name in (the options' optgroup)
      var chosen = select.options[select.selectedIndex];
      var group = chosen && chosen.parentElement.tagName === "OPTGROUP" ? chosen.parentElement.label : "";
      var stage = form.querySelector('[name="' + select.name.replace(/\.name$/, ".stage") + '"]');
      if (!group || !stage || stage.value === group) return;
      var has = Array.prototype.some.call(stage.options, function (o) { return o.value === group; });
      if (!has) stage.appendChild(el("option", "", group)).value = group;
      stage.value = group;
    }

    function setOptions(select, spec, names) {
      var chosen = {};
      Array.prototype.forEach.call(select.options, function (o) { if (o.selected && o.value) chosen[o.value] = true; });
      select.textContent = "";
      if (!select.multiple) select.appendChild(el("option", "", "（未选）")).value = "";
      var known = {};
      (spec.options || []).forEach(function (g) { g[1].forEach(function (v) { known[v] = true; }); });
      Object.keys(chosen).forEach(function (v) {
        if (known[v]) return;
        var o = el("option", "unknown", v + "（不在选项中）");
        o.value = v; o.selected = true;
        select.appendChild(o);
      });
      (spec.options || []).forEach(function (g) {
        var holder = select;
        if (g[0]) { holder = el("optgroup"); holder.label = g[0]; select.appendChild(holder); }
        g[1].forEach(function (v) {
          var o = el("option", "", (names && names[v]) || v);
          o.value = v;
          if (chosen[v]) o.selected = true;
          holder.appendChild(o);
        });
      });
    }

    function layField(field, spec, names) {
      var label = field.querySelector(":scope > label");
      if (label) {
        label.textContent = spec.label;
        if (spec.required) { var star = el("span", "req", "*"); star.title = "必填"; label.appendChild(star); }
      }
      field.classList.toggle("required", !!spec.required);
      var note = field.querySelector(":scope > p.note");
      if (note) note.textContent = spec.note;
      var meta = field.querySelector(":scope > .meta");
      if (meta) {
        var span = meta.querySelector(".count");
        if (spec.limit) span.setAttribute("data-limit", String(spec.limit)); else span.removeAttribute("data-limit");
        meta.querySelector(".limit").textContent = spec.limit ? " / " + spec.limit : "";
        meta.hidden = !spec.limit && !field.querySelector(":scope > textarea");
      }
      var select = field.querySelector(":scope > select[name]");
      if (select && spec.options && spec.options.length) setOptions(select, spec, names);
    }

    function hiddenFilled(root) {
      // values the chosen pack does not ask for: kept and saved, but not shown
      var n = 0;
      root.querySelectorAll(".field[data-pattern] > [name]").forEach(function (c) {
        if (c.closest("[hidden]") && c.value && c.value.trim()) n += 1;
      });
      return n;
    }

    function layTotals(totals) {
      form.querySelectorAll(".section > .total").forEach(function (t) { t.remove(); });
      totals.forEach(function (t) {
        var first = form.querySelector('[name="' + t.paths[0].replace(/"/g, '\\"') + '"]');
        var section = first && first.closest(".section");
        if (!section) return;
        var box = el("div", "total");
        box.setAttribute("data-paths", t.paths.join(" "));
        if (t.min) box.setAttribute("data-min", String(t.min));
        box.appendChild(document.createTextNode((t.label || "合计") + "字数 "));
        var span = el("span", "count total-count", "0");
        if (t.max) span.setAttribute("data-limit", String(t.max));
        box.appendChild(span);
        box.appendChild(document.createTextNode(
          t.min && t.max ? "（要求 " + t.min + "-" + t.max + " 字）" : t.max ? "（不超过 " + t.max + " 字）" : t.min ? "（不少于 " + t.min + " 字）" : ""));
        section.querySelector(":scope > h2").after(box);
      });
      updateTotals();
    }

    function applyLayout(L) {
      var names = L.names || {};
      var roots = [];
      (function walk(root) {  // the page, and the item templates (nested ones too) copied for new items
        roots.push(root);
        root.querySelectorAll("template").forEach(function (t) { walk(t.content); });
      })(form);
      roots.forEach(function (root) {
        root.querySelectorAll(".field[data-pattern]").forEach(function (field) {
          var spec = L.fields[field.getAttribute("data-pattern")];
          field.hidden = !spec;
          if (spec) layField(field, spec, names);
        });
        root.querySelectorAll(".entries[data-entries]").forEach(function (box) {
          var spec = L.fields[box.getAttribute("data-entries") + "{}"];
          box.hidden = !spec;
          if (spec) {
            box.querySelector(":scope > h3").textContent = spec.label;
            box.querySelector(":scope > p.note").textContent = spec.note;
          }
        });
      });
      // lists, groups and sections: shown when anything in them is
      var lists = Array.prototype.slice.call(form.querySelectorAll(".list")).reverse();
      lists.forEach(function (list) {
        var tpl = list.querySelector(":scope > template.item-template");
        var any = tpl && tpl.content.querySelector(".field[data-pattern]:not([hidden])");
        list.hidden = !any;
      });
      form.querySelectorAll("fieldset.group").forEach(function (g) {
        g.hidden = !g.querySelector(".field[data-pattern]:not([hidden]), .entries:not([hidden])");
      });
      var sections = form.querySelector(".sections");
      var toc = form.querySelector("nav.toc");
      L.sections.forEach(function (key) {  // in the order of the chosen pack's forms
        var s = document.getElementById("s-" + key);
        var link = toc.querySelector('a[data-section="' + key + '"]');
        if (s) sections.appendChild(s);
        if (link) toc.appendChild(link);
      });
      form.querySelectorAll("section.section").forEach(function (s) {
        var shown = !!s.querySelector(".field[data-pattern]:not([hidden]), .entries:not([hidden]), .list:not([hidden])");
        s.hidden = !shown;
        var link = toc.querySelector('a[data-section="' + s.getAttribute("data-section") + '"]');
        if (link) link.hidden = s.hidden;
      });
      layTotals(L.totals || []);
      form.querySelectorAll(".field").forEach(updateCount);
      form.setAttribute("data-pack", L.pack);
      form.setAttribute("data-level", L.level);
      var about = form.querySelector(".about .chosen");
      if (about) {
        about.textContent = (L.title ? " · " + L.title + (L.level ? " · " + L.level : "") : " · 未指定表格包") +
          (L.documents.length ? " · 用于：" + L.documents.join("、") : "");
      }
      var rules = document.getElementById("figure-rules");  // the drawn pack's: another's are not known here
      if (rules) rules.hidden = rules.getAttribute("data-pack") !== L.pack;
      var kept = document.getElementById("kept");
      var n = hiddenFilled(form);
      if (kept) {
        kept.hidden = !n;
        kept.textContent = n ? "另有 " + n + " 项已填内容不属于所选表格包和申报层级，已隐藏；保存时仍保留在记录中" : "";
      }
    }

    var laying = 0;

    function relayout() {
      var pack = form.querySelector('[name="pack"]');
      var level = form.querySelector('[name="factory.level"]');
      var url = base + "/layout?pack=" + encodeURIComponent(pack ? pack.value : "") +
        "&level=" + encodeURIComponent(level ? level.value : "");
      var mine = ++laying;
      form.classList.add("relaying");
      fetch(url, { credentials: "same-origin", headers: (function () { var h = {}; h[HEADER] = token(); return h; })() })
        .then(function (resp) { return resp.json(); })
        .then(function (L) {
          if (mine !== laying) return;
          form.classList.remove("relaying");
          if (L && L.fields) applyLayout(L);
        }, function () { form.classList.remove("relaying"); });
    }

    function save() {
      if (conflict) { conflictStatus(); return; }
      clearTimeout(timer);
      status("正在保存…", "busy");
      post(base + "/save", collect(form)).then(function (r) {
        if (r.status === 409) { conflictStatus(r.message); return; }
        if (r.findings) showFindings(r.findings);
        if (!r.ok) { status(r.message || "保存失败", "error"); return; }
        form.setAttribute("data-sha256", r.sha256);
        form.setAttribute("data-mtime", String(r.mtime));
        status(r.message + "；" + counts(r.findings), "saved");
      });
    }

    function generate() {
      clearTimeout(timer);
      var body = collect(form);
      var draft = document.getElementById("draft");
      var pdf = document.getElementById("pdf");
      body.draft = !!(draft && draft.checked);
      body.pdf = !!(pdf && pdf.checked);
      status(body.pdf ? "正在生成文档和 PDF（需要几秒钟）…" : "正在生成文档…", "busy");
      post(base + "/generate", body).then(function (r) {
        if (r.findings) showFindings(r.findings);
        if (!r.ok) { status(r.message || "生成失败", "error"); return; }
        showDownloads(document.getElementById("downloads"), r.files);
        status(r.message, "saved");
      });
    }

    function mb(bytes) { return (bytes / 1048576).toFixed(2) + " MB"; }

    function showImage(field, r) {
      var info = field.querySelector(".image-info");
      if (!info) return;
      info.className = "image-info";
      if (!r.ok || r.problem) {
        info.textContent = r.problem || r.message || "";
        info.classList.add("short");
        return;
      }
      var rules = document.getElementById("figure-rules");
      var needMp = rules ? parseFloat(rules.getAttribute("data-min-megapixels")) : NaN;
      var needMb = rules ? parseFloat(rules.getAttribute("data-min-mb")) : NaN;
      var text = r.width + "×" + r.height + "，" + r.megapixels.toFixed(2) + " 百万像素，" + mb(r.bytes);
      var short = [];
      if (!isNaN(needMp) && r.width * r.height < needMp * 1000000) short.push("像素不足 " + needMp + " 百万");
      if (!isNaN(needMb) && r.bytes < needMb * 1048576) short.push("小于 " + needMb + " MB");
      var judged = !isNaN(needMp) || !isNaN(needMb);
      info.textContent = text + (short.length ? "（" + short.join("，") + "）" : judged ? "（符合要求）" : "");
      if (judged) info.classList.add(short.length ? "short" : "enough");
    }

    function imageInfo(field) {
      var input = field.querySelector(":scope > input[name]");
      if (!input || !input.value.trim()) return;
      var url = base + "/image?file=" + encodeURIComponent(input.value.trim());
      fetch(url, { credentials: "same-origin" }).then(function (resp) { return resp.json(); }).then(
        function (r) { showImage(field, r); }, function () {});
    }

    function upload(input) {
      var field = input.closest(".field");
      if (!input.files || !input.files.length) return;
      var data = new FormData();
      data.append("file", input.files[0]);
      status("正在上传图片…", "busy");
      post(base + "/upload", data, true).then(function (r) {
        input.value = "";
        if (!r.ok) { status(r.message || "上传失败", "error"); showImage(field, r); return; }
        field.querySelector(":scope > input[name]").value = r.file;
        showImage(field, r);
        status("已上传 " + r.file + "（保存后写入记录）", "saved");
        changed();
      });
    }

    renumber(form);
    form.querySelectorAll(".field").forEach(updateCount);
    updateTotals();
    form.querySelectorAll(".field[data-pattern='figures[].file']").forEach(imageInfo);
    validate();
  }

  function showDownloads(ul, files) {
    ul.textContent = "";
    (files || []).forEach(function (f) {
      var li = el("li");
      var a = el("a", "download", f.name);
      a.href = f.url;
      a.setAttribute("download", f.name);
      li.appendChild(a);
      li.appendChild(el("span", "size", "（" + Math.max(1, Math.round(f.size / 1024)) + " KB）"));
      ul.appendChild(li);
    });
  }

  // --- the bureau page ------------------------------------------------------------------------

  function bureauPage(form) {
    var button = document.getElementById("bureau-generate");
    if (!button) return;
    button.addEventListener("click", function () {
      var body = {};
      ["pack", "unit", "unit_kind", "quota"].forEach(function (k) {
        var c = form.querySelector('[name="' + k + '"]');
        body[k] = c ? c.value : "";
      });
      var draft = document.getElementById("draft");
      body.draft = !!(draft && draft.checked);
      status("正在生成…", "busy");
      post(form.getAttribute("data-generate"), body).then(function (r) {
        if (!r.ok) { status(r.message || "生成失败", "error"); return; }
        showDownloads(document.getElementById("downloads"), r.files);
        status(r.message, "saved");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("record");
    if (form) recordPage(form);
    var bureau = document.getElementById("bureau");
    if (bureau) bureauPage(bureau);
  });
})();
