// The admin console's few behaviours; every page works without them (forms post as usual).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".js-select-all")) {
    box.addEventListener("change", () => {
      for (const row of document.querySelectorAll('input[name="ids"]')) row.checked = box.checked;
    });
  }
  for (const button of document.querySelectorAll(".js-confirm")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
  for (const button of document.querySelectorAll(".js-edit-selected")) {
    button.addEventListener("click", () => {
      const chosen = document.querySelector('input[name="ids"]:checked');
      if (chosen) window.location.href = "/admin/accounts/" + encodeURIComponent(chosen.value);
      else window.alert("Select an account to edit.");
    });
  }
  const agent = document.querySelector(".js-agent");
  const group = document.querySelector(".js-group");
  if (agent && group) {
    agent.addEventListener("change", () => {
      group.textContent = agent.selectedOptions[0].dataset.group;
    });
  }
  for (const button of document.querySelectorAll(".js-show")) {
    const input = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", () => {
      const shown = input.type === "text";
      input.type = shown ? "password" : "text";
      button.textContent = shown ? "Show" : "Hide";
      button.setAttribute("aria-pressed", String(!shown));
    });
  }
  for (const button of document.querySelectorAll(".js-generate")) {
    const input = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", () => {
      const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
      const bytes = new Uint32Array(20);
      window.crypto.getRandomValues(bytes);
      input.value = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
      input.type = "text";
      for (const show of document.querySelectorAll(`.js-show[aria-controls="${input.id}"]`)) {
        show.textContent = "Hide";
        show.setAttribute("aria-pressed", "true");
      }
    });
  }
});

// ---- Live board (issue 17, board_pages.py): time in state ticks; rows come by SSE ----
document.addEventListener("DOMContentLoaded", () => {
  const live = document.querySelector(".js-board");
  if (!live) return;
  const status = document.getElementById("board-status");
  let offset = 0; // the server's clock minus this browser's, from the rows' data-now
  const readClock = () => {
    const data = live.querySelector(".board-data");
    if (data) offset = Date.parse(data.dataset.now) - Date.now();
  };
  const pad = (n) => String(n).padStart(2, "0");
  const tick = () => {
    const now = Date.now() + offset;
    for (const t of live.querySelectorAll("time.js-elapsed")) {
      const s = Math.max(0, Math.floor((now - Date.parse(t.getAttribute("datetime"))) / 1000));
      const h = Math.floor(s / 3600);
      const m = Math.floor((s % 3600) / 60);
      t.textContent = h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
    }
  };
  readClock();
  tick();
  window.setInterval(tick, 1000);
  if (!window.EventSource) {
    status.textContent = "This browser cannot update the board by itself: reload to see changes.";
    return;
  }
  const source = new EventSource(live.dataset.stream);
  source.addEventListener("open", () => {
    status.textContent = "Live: the board updates as agents change state.";
  });
  source.addEventListener("error", () => {
    status.textContent = "Connection to the server lost; reconnecting…";
  });
  source.addEventListener("board", (event) => {
    // A keyboard user on one of the board's links keeps the focus across the update.
    const focused = live.contains(document.activeElement) ? document.activeElement : null;
    const href = focused && focused.getAttribute("href");
    live.innerHTML = event.data; // rendered (and escaped) by the server's template
    if (href) {
      for (const link of live.querySelectorAll("a[href]")) {
        if (link.getAttribute("href") === href) {
          link.focus();
          break;
        }
      }
    }
    readClock();
    tick();
  });
  source.addEventListener("end", () => {
    source.close();
    status.textContent = "Your console session ended: reload the page to sign in again.";
  });
});
// ---- end of live board ----

// ---- Agents and groups pages (issue 17): edit the chosen row, "use the group's value",
// ---- members' call order (Up/Down without a mouse) and the members search.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".js-edit-chosen")) {
    button.addEventListener("click", () => {
      const chosen = button.form.querySelector('input[name="ids"]:checked');
      if (chosen) window.location.href = button.dataset.base + encodeURIComponent(chosen.value);
      else window.alert(button.dataset.none);
    });
  }
  for (const box of document.querySelectorAll(".js-inherit")) {
    const input = document.getElementById(box.getAttribute("aria-controls"));
    if (!input) continue;
    const sync = () => { input.disabled = box.checked; };
    box.addEventListener("change", sync);
    sync();
  }
  const status = document.getElementById("order-status");
  for (const button of document.querySelectorAll(".js-move")) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const item = button.closest("li");
      const list = item.parentElement;
      const other = button.dataset.way === "up" ? item.previousElementSibling : item.nextElementSibling;
      if (other) {
        if (button.dataset.way === "up") list.insertBefore(item, other);
        else list.insertBefore(other, item);
      }
      button.focus();
      const items = Array.from(list.querySelectorAll("li.member"));
      const name = item.querySelector(".member-name").textContent;
      if (status) status.textContent = `${name}: position ${items.indexOf(item) + 1} of ${items.length}. Save to keep the order.`;
    });
  }
  // The members search asks the server (member_picker.py) for the matching agents; the
  // ticked ones stay in the list, first, whatever is searched next.
  for (const search of document.querySelectorAll(".js-member-search")) {
    const list = document.getElementById(search.getAttribute("aria-controls"));
    const said = document.getElementById(search.getAttribute("aria-describedby"));
    const form = search.form;
    let asked = 0;
    let timer = 0;
    const find = async () => {
      window.clearTimeout(timer);
      const ask = ++asked;
      const params = new URLSearchParams({ q: search.value.trim() });
      const kept = Array.from(list.querySelectorAll("li")).filter(
        (item) => item.querySelector('input[name="add"]:checked'));
      for (const box of form.querySelectorAll('input[name="members"]')) params.append("not", box.value);
      for (const item of kept) params.append("not", item.querySelector("input").value);
      let answer;
      try {
        answer = await fetch(`${search.dataset.choices}?${params}`, { credentials: "same-origin" });
      } catch {
        if (ask === asked) said.textContent = "The search did not reach the server; try again.";
        return;
      }
      if (ask !== asked) return; // a later search has started
      if (!answer.ok) {
        said.textContent = "The search did not reach the server; try again.";
        return;
      }
      const found = document.createElement("template");
      found.innerHTML = await answer.text(); // rendered (and escaped) by the server's template
      if (ask !== asked) return;
      const fresh = found.content.querySelector("ul[data-status]");
      if (!fresh) { // the sign-in page: the console session has ended
        said.textContent = "Your console session ended: reload the page to sign in again.";
        return;
      }
      list.replaceChildren(...kept, ...fresh.children);
      said.textContent = fresh.dataset.status;
    };
    // Enter in the search searches at once; it does not save the group.
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        find();
      }
    });
    search.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(find, 250);
    });
    for (const button of form.querySelectorAll(".js-find")) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        find();
      });
    }
  }
});
// ---- end of the agents and groups pages' block
