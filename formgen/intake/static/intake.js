// The enterprise's upload: posts the file to <link>/submit and shows every finding, or the receipt.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  const out = document.getElementById("result");
  if (!form || !out) return;
  const line = (tag, text, cls) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.replaceChildren(line("p", "正在检查……"));
    let body;
    try {
      const resp = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "omit" });
      body = await resp.json();
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
    }
    const list = document.createElement("ol");
    list.id = "findings";
    for (const f of body.findings || []) {
      list.append(line("li", `${f.severity} ${f.code}：${f.text}`, f.severity === "错误" ? "error-item" : "warning-item"));
    }
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
