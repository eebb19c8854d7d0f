// The evidence upload of the complaint page, sent with XMLHttpRequest so that a large photo shows
// its progress. A refusal is the server's sentence in the page's language (JSON "detail"), shown
// as text; without this script the form posts as usual and the refusal is an error page.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var button = form.querySelector("button[type=submit]");

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "muted";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((100 * e.loaded) / e.total);
        bar.hidden = false;
        bar.value = percent;
        say(form.dataset.uploading.replace("{percent}", String(percent)), false);
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        // The server answered with the complaint page (after its redirect). Going there again
        // when only the #fragment differs would not reload, so reload in that case.
        var target = (xhr.responseURL || window.location.href).split("#")[0];
        if (target === window.location.href.split("#")[0]) {
          window.location.reload();
        } else {
          window.location.assign(target + "#attachments");
        }
        return;
      }
      var message = form.dataset.failed;
      try {
        var body = JSON.parse(xhr.responseText);
        if (body && typeof body.detail === "string") {
          message = body.detail;
        }
      } catch (ignored) {
        // not JSON (a proxy's error page): keep the generic sentence
      }
      bar.hidden = true;
      button.disabled = false;
      say(message, true);
    });
    xhr.addEventListener("error", function () {
      bar.hidden = true;
      button.disabled = false;
      say(form.dataset.failed, true);
    });
    button.disabled = true;
    bar.value = 0;
    xhr.send(new FormData(form));
  });
})();
