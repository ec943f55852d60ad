// The wages page's chart: claimed against recovered (yuan, bars) and
// workers (a line), month by month. Reads the JSON data block the server
// wrote (no inline script: the Content-Security-Policy forbids it) and
// draws it with the vendored Apache ECharts.
(function () {
  "use strict";
  var data = document.getElementById("wages-data");
  var target = document.getElementById("wages-chart");
  if (!data || !target || typeof echarts === "undefined") {
    return;
  }
  var wages = JSON.parse(data.textContent);
  var chart = echarts.init(target, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 72, right: 48, top: 36, bottom: 28 },
    xAxis: { type: "category", data: wages.months },
    yAxis: [
      { type: "value", name: wages.yuanAxis },
      { type: "value", name: wages.workersAxis, minInterval: 1 }
    ],
    series: [
      { name: wages.claimed.name, type: "bar", yAxisIndex: 0, data: wages.claimed.data },
      { name: wages.recovered.name, type: "bar", yAxisIndex: 0, data: wages.recovered.data },
      { name: wages.workers.name, type: "line", yAxisIndex: 1, data: wages.workers.data }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
