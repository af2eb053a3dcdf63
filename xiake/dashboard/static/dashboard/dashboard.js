/* Dashboard charts: a click on a bar or funnel layer whose data item carries a `url` opens the
   drill-down behind it. app.js draws the charts on DOMContentLoaded; this runs after it. */
(function () {
  "use strict";
  function attach() {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll("[data-chart-drill]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (!chart) return;
      chart.on("click", function (params) {
        if (params.data && params.data.url) window.location.assign(params.data.url);
      });
      el.style.cursor = "pointer";
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attach);
  } else {
    attach();
  }
})();
