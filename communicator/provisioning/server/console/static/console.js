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
