/* xiake (霞科) page behaviour. No inline scripts anywhere: the Content-Security-Policy forbids them,
   so every behaviour is attached here through data- attributes.

   data-confirm="text"            on a <form> or a submit button: ask before submitting.
   data-chart="json-script-id"    on an element: draw an ECharts chart whose option object is in
                                  {{ option|json_script:"json-script-id" }}; load echarts.min.js in
                                  {% block extra_js %}. Charts are resized with the window.
   data-fill-username="name"      on a button (login page demo accounts): fill the login form.
   data-tab-activate              on a .nav-link button inside a <ul> (tabs loading with hx-get): a
                                  click marks it active and the group's other tabs inactive.
   data-bs-toggle="tooltip"       Bootstrap tooltips.
   htmx errors                    a failed htmx request shows an alert in #messages instead of
                                  failing silently. */
(function () {
  "use strict";

  function each(root, selector, fn) {
    if (root.matches && root.matches(selector)) fn(root);
    root.querySelectorAll(selector).forEach(fn);
  }

  /* ---- Alerts ---------------------------------------------------------------------------- */
  function showAlert(text, level) {
    var area = document.getElementById("messages");
    if (!area) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-" + (level || "danger") + " alert-dismissible fade show";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", area.getAttribute("data-close-label") || "Close");
    alert.appendChild(close);
    area.appendChild(alert);
  }

  /* ---- Confirmation ---------------------------------------------------------------------- */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* ---- Demo logins ----------------------------------------------------------------------- */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-username]");
    if (!button) return;
    var form = document.getElementById("login-form");
    if (!form) return;
    var username = form.querySelector("[name=username]");
    var password = form.querySelector("[name=password]");
    if (username) username.value = button.getAttribute("data-fill-username");
    if (password && button.hasAttribute("data-fill-password")) {
      password.value = button.getAttribute("data-fill-password");
    }
    (password || username).focus();
  });

  /* ---- Tabs whose panels htmx loads ---------------------------------------------------- */
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-tab-activate]");
    if (!tab) return;
    var group = tab.closest("ul");
    if (group) {
      group.querySelectorAll(".nav-link").forEach(function (b) { b.classList.remove("active"); });
    }
    tab.classList.add("active");
  });

  /* ---- Charts ---------------------------------------------------------------------------- */
  var charts = [];

  function initCharts(root) {
    if (typeof window.echarts === "undefined") return;
    each(root, "[data-chart]", function (el) {
      if (el.getAttribute("data-chart-ready")) return;
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var option;
      try {
        option = JSON.parse(source.textContent);
      } catch (e) {
        if (window.console) console.error("xiake: bad chart option in #" + source.id, e);
        return;
      }
      var chart = window.echarts.init(el, null, { renderer: el.getAttribute("data-chart-renderer") || "canvas" });
      chart.setOption(option);
      el.setAttribute("data-chart-ready", "1");
      charts.push(chart);
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts = charts.filter(function (chart) { return !chart.isDisposed() && document.body.contains(chart.getDom()); });
      charts.forEach(function (chart) { chart.resize(); });
    }, 150);
  });

  /* ---- Tooltips -------------------------------------------------------------------------- */
  function initTooltips(root) {
    if (!window.bootstrap || !window.bootstrap.Tooltip) return;
    each(root, '[data-bs-toggle="tooltip"]', function (el) {
      window.bootstrap.Tooltip.getOrCreateInstance(el);
    });
  }

  function init(root) {
    initCharts(root);
    initTooltips(root);
  }

  /* ---- htmx ------------------------------------------------------------------------------ */
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var area = document.getElementById("messages");
    var prefix = (area && area.getAttribute("data-request-failed")) || "Request failed";
    showAlert(prefix + " (" + xhr.status + ")", "danger");
  });
  document.addEventListener("htmx:sendError", function () {
    var area = document.getElementById("messages");
    showAlert((area && area.getAttribute("data-network-error")) || "Network error", "danger");
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document.body); });
  } else {
    init(document.body);
  }
})();
