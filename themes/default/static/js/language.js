/* Language picker: point out the language the browser prefers, without redirecting. */
(function () {
  "use strict";
  var links = document.querySelectorAll(".language-list a[data-lang]");
  var wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""]);
  for (var i = 0; i < wanted.length; i++) {
    var base = String(wanted[i]).toLowerCase();
    for (var j = 0; j < links.length; j++) {
      var code = links[j].getAttribute("data-lang").toLowerCase();
      if (base === code || base.split("-")[0] === code.split("-")[0]) {
        links[j].classList.add("suggested");
        links[j].setAttribute("aria-describedby", "choose");
        links[j].parentNode.parentNode.insertBefore(links[j].parentNode, links[j].parentNode.parentNode.firstChild);
        return;
      }
    }
  }
})();
