/* The twin's embeddable widget (GET /widget.js): <script src="https://TWIN/widget.js" defer></script>
 * adds a launcher button that opens a modal dialog holding the twin's own embed page (/embed/) in an
 * iframe. Everything lives in one shadow root (styles isolated both ways), fixed in a corner (no
 * layout shift), and the only global is window.TwinWidget. Options on the script tag:
 * data-position="left|right", data-open="true", data-label="…". The server fills in the name. */
(function () {
  var w = window;
  var d = document;
  if (w.TwinWidget) return;
  var name = "__TWIN_NAME__" || "the twin";
  var script = d.currentScript || d.querySelector('script[src*="/widget.js"]');
  if (!script) return;
  var origin = new URL(script.src, d.baseURI).origin;
  var data = script.dataset;
  var side = data.position === "left" ? "left" : "right";
  var label = data.label || "Chat with " + name;
  var readyMs = Number(data.timeoutMs) || 10000;

  var host = d.createElement("div");
  host.setAttribute("data-twin-widget", "");
  host.style.cssText = "all:initial;position:fixed;z-index:2147483000;bottom:0;" + side + ":0;width:0;height:0";
  var root = host.attachShadow({ mode: "open" });
  var css =
    ":host{all:initial}*{box-sizing:border-box;font:15px/1.4 system-ui,sans-serif}" +
    ".l{position:fixed;bottom:20px;" + side + ":20px;display:flex;align-items:center;gap:8px;" +
    "padding:0 18px;min-height:48px;border:0;border-radius:24px;background:#18181b;color:#fff;" +
    "cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".l:hover{background:#3f3f46}.l:focus-visible,.x:focus-visible{outline:3px solid #2563eb;outline-offset:2px}" +
    ".l[data-down] small{display:inline}small{display:none;font-size:12px;color:#fde68a}" +
    "dialog{position:fixed;inset:auto;bottom:84px;" + side + ":20px;margin:0;padding:0;border:0;" +
    "width:400px;height:min(640px,calc(100dvh - 104px));border-radius:14px;overflow:hidden;" +
    "background:#fff;color:#18181b;box-shadow:0 12px 40px rgba(0,0,0,.3);flex-direction:column}" +
    "dialog[open]{display:flex}dialog::backdrop{background:rgba(0,0,0,.15)}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:6px 6px 6px 14px;" +
    "border-bottom:1px solid #e4e4e7}h2{margin:0;font-weight:600}" +
    ".x{width:44px;height:44px;border:0;border-radius:22px;background:none;color:inherit;font-size:24px;cursor:pointer}" +
    ".x:hover{background:#f4f4f5}iframe{flex:1;width:100%;border:0}p{margin:16px;color:#52525b}" +
    "@media (max-width:639px){dialog{inset:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}}";
  root.innerHTML =
    "<style>" + css + "</style>" +
    '<button class="l" type="button" aria-haspopup="dialog" aria-expanded="false"><span></span>' +
    "<small> (offline)</small></button>" +
    '<dialog aria-labelledby="t"><i tabindex="0"></i><header><h2 id="t"></h2>' +
    '<button class="x" type="button" aria-label="Close chat">&times;</button></header>' +
    '<p role="status" hidden></p><i tabindex="0"></i></dialog>';
  var launcher = root.querySelector(".l");
  var dialog = root.querySelector("dialog");
  var status = root.querySelector("p");
  launcher.firstChild.textContent = label;
  root.querySelector("h2").textContent = "Chat with " + name;
  var frame = null;
  var timer = 0;
  var ready = false;

  function down(isDown) {
    // "(offline)" shows (and joins the launcher's accessible name) only while down.
    launcher.toggleAttribute("data-down", isDown);
    status.textContent = "Chat with " + name + " is unavailable right now. Please try again later.";
    status.hidden = !isDown;
    if (frame) frame.hidden = isDown;
  }

  // The viewport that the on-screen keyboard leaves: a full-screen dialog on a phone keeps its
  // message box above the keyboard.
  function fit() {
    var vv = w.visualViewport;
    var small = w.matchMedia && w.matchMedia("(max-width:639px)").matches;
    dialog.style.height = small && vv ? vv.height + "px" : "";
    dialog.style.top = small && vv ? vv.offsetTop + "px" : "";
  }

  function open() {
    if (dialog.open) return;
    if (!frame) {
      frame = d.createElement("iframe");
      frame.title = "Chat with " + name;
      frame.src = origin + "/embed/";
      frame.allow = "clipboard-write";
      dialog.insertBefore(frame, status);
    } else if (launcher.hasAttribute("data-down")) {
      frame.src = origin + "/embed/"; // try again
    }
    if (!ready) {
      clearTimeout(timer);
      timer = setTimeout(down, readyMs, true);
    }
    fit();
    dialog.showModal();
    launcher.setAttribute("aria-expanded", "true");
    (frame.hidden ? root.querySelector(".x") : frame).focus();
  }

  function close() {
    if (dialog.open) dialog.close();
    closed();
  }

  // After any close (also the browser's own on Esc, reported by a "close" event).
  function closed() {
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  // Focus guards at both ends of the dialog: Tab past the chat comes back to "Close chat",
  // Shift+Tab before it goes to the chat, so the focus never leaves for the browser's toolbar.
  var guards = root.querySelectorAll("i");
  guards[0].addEventListener("focus", function () {
    (frame && !frame.hidden ? frame : root.querySelector(".x")).focus();
  });
  guards[1].addEventListener("focus", function () {
    root.querySelector(".x").focus();
  });
  launcher.addEventListener("click", open);
  root.querySelector(".x").addEventListener("click", close);
  dialog.addEventListener("close", closed);
  w.addEventListener("message", function (e) {
    if (!frame || e.origin !== origin || e.source !== frame.contentWindow || !e.data) return;
    if (e.data.type === "twin:ready") {
      clearTimeout(timer);
      ready = true;
      down(false);
      if (dialog.open && d.activeElement === host) frame.focus();
    } else if (e.data.type === "twin:close") {
      close();
    }
  });
  if (w.visualViewport) w.visualViewport.addEventListener("resize", fit);

  // Said on the launcher before any click when the twin cannot be reached (an opaque no-cors
  // request fails only when nothing answers).
  w.fetch(origin + "/api/health", { mode: "no-cors", credentials: "omit" }).catch(function () {
    if (!ready) down(true);
  });
  d.body.appendChild(host);
  w.TwinWidget = { open: open, close: close };
  if (data.open === "true") open();
})();
