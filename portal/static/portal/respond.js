// Supplier pages, progressively enhanced: answers save as they change and follow-up
// questions appear without a reload. Without JavaScript the form posts and the server
// does the same work.
(function () {
  "use strict";
  document.body.classList.remove("js-disabled");
  document.body.classList.add("js-enabled");
  var form = document.getElementById("answers-form");
  if (!form || form.dataset.readonly === "true") { return; }
  var api = form.dataset.api;

  function questionValue(box) {
    var type = box.dataset.type;
    var inputs = box.querySelectorAll("[name='q_" + box.dataset.question + "']");
    if (type === "multi_choice") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    if (type === "yes_no" || type === "single_choice") {
      var picked = Array.prototype.find.call(inputs, function (i) { return i.checked; });
      return picked ? picked.value : null;
    }
    return inputs.length ? inputs[0].value : null;
  }

  function answersNow() {
    var values = {};
    form.querySelectorAll(".portal-question").forEach(function (box) {
      if (!box.hidden) { values[box.dataset.question] = questionValue(box); }
    });
    return values;
  }

  function applyConditions() {
    var values = answersNow();
    form.querySelectorAll(".portal-question[data-show-if]").forEach(function (box) {
      var given = values[box.dataset.showIf];
      var wanted = box.dataset.showValues.split(",");
      var list = Array.isArray(given) ? given : (given ? [given] : []);
      var parent = form.querySelector("[data-question='" + box.dataset.showIf + "']");
      var parentShown = !parent || !parent.hidden;
      box.hidden = !(parentShown && list.some(function (v) { return wanted.indexOf(v) >= 0; }));
    });
  }

  // Saved in the success colour; anything else in the NHS error colour, never in green.
  function report(status, text, ok) {
    status.textContent = text;
    status.classList.toggle("portal-saved--error", !ok);
  }

  var retries = {};  // question id -> pending retry timer
  var MAX_ATTEMPTS = 8;

  function retryLater(box, attempt, seconds, status) {
    var id = box.dataset.question;
    if (attempt >= MAX_ATTEMPTS) {
      report(status, "Not saved: the service is not answering. Your answer is still on " +
        "this page; it will be saved when you select Save and continue.", false);
      return;
    }
    report(status, "Not saved yet: trying again in " + seconds + " seconds. " +
      "Your answer is kept on this page.", false);
    retries[id] = setTimeout(function () { save(box, attempt + 1); }, seconds * 1000);
  }

  function save(box, attempt) {
    attempt = attempt || 1;
    var id = box.dataset.question;
    var type = box.dataset.type;
    if (type === "file") { return; }
    clearTimeout(retries[id]);
    var versionField = form.querySelector("[name='v_" + id + "']");
    var status = document.getElementById("saved-" + id);
    var value = questionValue(box);
    if (type === "number" && value !== null && value !== "") { value = value.trim(); }
    var body = {value: value};
    if (versionField.value) { body.version = parseInt(versionField.value, 10); }
    fetch(api + "/answers/" + id, {
      method: "PUT", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        return {ok: response.ok, status: response.status, data: data,
                retryAfter: parseInt(response.headers.get("Retry-After"), 10)};
      });
    }).then(function (result) {
      if (result.ok) {
        versionField.value = result.data.version;
        report(status, "Saved", true);
        box.classList.remove("nhsuk-form-group--error");
      } else if (result.status === 503 || result.status === 429) {
        // Busy or restarting: the same save again shortly (the server accepts a repeat).
        retryLater(box, attempt, result.retryAfter > 0 ? result.retryAfter : 5, status);
      } else if (result.status === 409) {
        // Never "Saved": the answer stored is someone else's (another tab or person).
        report(status, (result.data.detail ||
          "This answer was changed in another tab.") + " Reload the page to see it.", false);
        box.classList.add("nhsuk-form-group--error");
      } else {
        report(status, result.data.detail || "Not saved. Check the answer.", false);
        box.classList.add("nhsuk-form-group--error");
      }
    }).catch(function () {
      retryLater(box, attempt, Math.min(5 * attempt, 30), status);
    });
  }

  function saveReply(field) {
    var id = field.dataset.replyFor;
    var status = document.getElementById("saved-" + id);
    fetch(api + "/answers/" + id + "/reply", {
      method: "PUT", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({reply: field.value})
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (result.ok) {
        report(status, "Reply saved", true);
      } else {
        report(status, "Reply not saved: " + (result.data.detail || "check the reply."), false);
      }
    }).catch(function () {
      report(status, "Reply not saved yet: it is kept on this page and will be saved when " +
        "you select Save and continue.", false);
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.dataset && event.target.dataset.replyFor) {
      saveReply(event.target);
      return;
    }
    if (event.target.type === "file") { return; }  // uploaded by the page's buttons
    var box = event.target.closest(".portal-question");
    applyConditions();
    if (box) { save(box); }
  });
  applyConditions();
})();
