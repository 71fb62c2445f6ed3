// A readonly input the user can select works without JavaScript; this adds a Copy button.
(function () {
  "use strict";
  document.querySelectorAll("input[data-copy]").forEach(function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "nhsuk-button nhsuk-button--secondary";
    button.textContent = "Copy link";
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    status.className = "nhsuk-body-s nhsuk-u-margin-bottom-0";
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      input.select();
      var done = function () { status.textContent = "Copied."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          status.textContent = "Select the link and copy it (Ctrl+C or Cmd+C).";
        });
      } else {
        try { document.execCommand("copy"); done(); } catch (e) {
          status.textContent = "Select the link and copy it (Ctrl+C or Cmd+C).";
        }
      }
    });
    input.parentNode.appendChild(button);
    input.parentNode.appendChild(status);
  });
}());
