// The enterprise's upload: posts the file to <link>/submit and shows every finding, or the receipt;
// "保存为草稿" keeps the files as a 草稿 (<link>/draft); fields only the bureau's sheets need are
// offered in the link's web form ("在网页上补填"). A POST to /draft carries the link's form token.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  const out = document.getElementById("result");
  const asDraft = document.getElementById("as-draft");
  if (!form || !out) return;
  const token = () => {
    const meta = document.querySelector('meta[name="formgen-token"]');
    return meta ? meta.getAttribute("content") : "";
  };
  const line = (tag, text, cls) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  };
  const send = async (url, withToken) => {
    const headers = withToken ? { "X-Formgen-Token": token() } : {};
    const resp = await fetch(url, { method: "POST", body: new FormData(form), credentials: "omit", headers });
    return resp.json();
  };
  const findingList = (findings) => {
    const list = document.createElement("ol");
    list.id = "findings";
    for (const f of findings || []) {
      list.append(line("li", `${f.severity} ${f.code}：${f.text}`, f.severity === "错误" ? "error-item" : "warning-item"));
    }
    return list;
  };
  const draft = async (thenOpen) => {
    out.replaceChildren(line("p", "正在保存草稿……"));
    let body;
    try {
      body = await send(asDraft.getAttribute("data-action"), true);
    } catch (e) {
      out.replaceChildren(line("p", "保存失败，请检查网络后重试", "error"));
      return;
    }
    if (body.saved && thenOpen && body.form) {
      window.location.assign(body.form);
      return;
    }
    const parts = [line("p", body.message || "未保存", body.saved ? "ok" : "error")];
    if (body.saved) {
      const a = document.createElement("a");
      a.href = body.form;
      a.id = "open-draft";
      a.textContent = "在网页表单中继续填写";
      parts.push(a);
    }
    const list = findingList(body.findings);
    if (list.children.length) parts.push(list);
    out.replaceChildren(...parts);
  };
  if (asDraft) {
    asDraft.addEventListener("click", () => {
      if (!form.reportValidity()) return;
      draft(false);
    });
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.replaceChildren(line("p", "正在检查……"));
    let body;
    try {
      body = await send(form.action, false);
    } catch (e) {
      out.replaceChildren(line("p", "上传失败，请检查网络后重试", "error"));
      return;
    }
    const parts = [];
    if (body.accepted) {
      parts.push(line("p", `已受理（第${body.version}版）。请下载回执和申报书，打印盖章。`, "ok"));
      const a = document.createElement("a");
      a.href = body.receipt;
      a.textContent = "下载回执";
      a.id = "receipt";
      parts.push(a);
    } else {
      const n = (body.findings || []).filter((f) => f.severity === "错误").length;
      parts.push(line("p", body.message || `未受理：有 ${n} 个错误，请修改后重新上传。`, "error"));
      if (body.sheet_only && body.sheet_only.length && asDraft) {
        parts.push(line("p", body.sheet_only_text, "sheet-only"));
        const b = line("button", "在网页上补填");
        b.type = "button";
        b.id = "complete";
        b.addEventListener("click", () => draft(true));
        parts.push(b);
      }
    }
    const list = findingList(body.findings);
    if (list.children.length) parts.push(list);
    if (body.accepted) {
      const again = document.createElement("a");
      again.href = window.location.pathname;
      again.textContent = "刷新提交记录";
      parts.push(line("br", ""), again);
    }
    out.replaceChildren(...parts);
  });
});
