// The lesson editor (Trix): images dropped or attached are checked, sent to the server and
// placed by the address it answers; a refused one is taken out again, with the reason.
(function () {
  function problem(editor, text) {
    const shown = editor.parentElement.querySelector("[data-upload-problem]");
    if (shown) shown.textContent = text;
  }

  function csrfToken(editor) {
    const field = editor.closest("form").querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  document.addEventListener("trix-file-accept", function (event) {
    const editor = event.target;
    const limit = Number(editor.dataset.maxBytes || 0);
    const file = event.file;
    if (!editor.dataset.uploadUrl) {
      event.preventDefault();
      return;
    }
    if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
      event.preventDefault();
      problem(editor, file.name + ": lesson images are PNG, JPEG, GIF or WebP.");
    } else if (limit && file.size > limit) {
      event.preventDefault();
      problem(editor, file.name + " is " + (file.size / 1e6).toFixed(1) + " MB: images up to " + (limit / 1e6).toFixed(0) + " MB are accepted.");
    } else {
      problem(editor, "");
    }
  });

  document.addEventListener("trix-attachment-add", function (event) {
    const attachment = event.attachment;
    const editor = event.target;
    if (!attachment.file) return;
    const body = new FormData();
    body.append("file", attachment.file);
    const request = new XMLHttpRequest();
    request.open("POST", editor.dataset.uploadUrl, true);
    request.setRequestHeader("X-CSRFToken", csrfToken(editor));
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) attachment.setUploadProgress((progress.loaded / progress.total) * 100);
    });
    request.addEventListener("load", function () {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (error) { answer = {}; }
      if (request.status === 201) {
        attachment.setAttributes({ url: answer.url, href: answer.href });
      } else {
        attachment.remove();
        problem(editor, answer.error || "The image was not stored (" + request.status + ").");
      }
    });
    request.send(body);
  });
})();
